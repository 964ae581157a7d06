with

marketing_spend as (
    select * from {{ ref('stg_marketing_spend') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

rates as (
    select * from {{ ref('int_fx_rate_spans') }}
),

final as (
    select
        marketing_spend.tenant_id,
        marketing_spend.spend_date,
        cast({{ dbt.date_trunc('month', 'marketing_spend.spend_date') }} as date) as month,
        marketing_spend.acquisition_channel,
        marketing_spend.currency,
        marketing_spend.spend_usd as spend_in_currency,
        -- in the reporting currency at the day's rate (the column keeps the name it had before currencies)
        marketing_spend.spend_usd * {{ jobmetrics.fx_rate('rates', 'marketing_spend.currency') }} as spend_usd
    from marketing_spend
    inner join reporting_period
        on marketing_spend.tenant_id = reporting_period.tenant_id
    left join rates
        on {{ jobmetrics.rate_applies(
            'rates', 'marketing_spend.tenant_id', 'marketing_spend.currency', 'marketing_spend.spend_date'
        ) }}
    where marketing_spend.spend_date <= reporting_period.as_of_date
)

select * from final
