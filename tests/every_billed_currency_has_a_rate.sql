{{ config(store_failures=true, meta={
    'explain': 'No exchange rate into the reporting currency (fx_rates) on or before the day a currency is converted'
}) }}
-- Every currency a user is billed in or spend is recorded in, other than the reporting currency, has a rate on
-- or before each day it is converted (the month's snapshot while the user pays; the spend's day): one row per
-- currency and first day without one.
with

user_months as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

spend as (
    select * from {{ ref('int_marketing_spend') }}
),

unconverted as (
    select
        tenant_id,
        currency,
        snapshot_date as converted_on
    from user_months
    where mrr_in_currency > 0 and fx_rate is null
    union all
    select
        tenant_id,
        currency,
        spend_date as converted_on
    from spend
    where spend_usd is null
),

final as (
    select
        tenant_id,
        currency,
        min(converted_on) as first_day
    from unconverted
    group by tenant_id, currency
)

select * from final
