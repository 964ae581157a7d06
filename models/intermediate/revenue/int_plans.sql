{#- Every plan a subscription can be on: the project's own plans, and Stripe's recurring prices (a price is a plan;
    its id names it). Prices per billing interval per seat, in the plan's currency. -#}
with

plans as (
    select * from {{ ref('stg_plans') }}
),

prices as (
    select * from {{ ref('stg_stripe_prices') }}
),

final as (
    select
        tenant_id,
        plan_id,
        plan_name,
        billing_interval_months,
        price_usd,
        currency
    from plans
    union all
    select
        tenant_id,
        price_id as plan_id,
        price_id as plan_name,
        cast(
            greatest(1, round({{ jobmetrics.price_interval_months('recurring_interval', 'recurring_interval_count') }}))
            as {{ dbt.type_int() }}
        ) as billing_interval_months,
        cast(unit_amount as {{ jobmetrics.type_double() }}) / {{ jobmetrics.minor_units_per_major('currency') }}
            as price_usd,
        currency
    from prices
    where recurring_interval is not null
)

select * from final
