with

marketing_spend as (
    select * from {{ ref('stg_marketing_spend') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

final as (
    select
        marketing_spend.tenant_id,
        marketing_spend.spend_date,
        cast({{ dbt.date_trunc('month', 'marketing_spend.spend_date') }} as date) as month,
        marketing_spend.acquisition_channel,
        marketing_spend.spend_usd
    from marketing_spend
    inner join reporting_period
        on marketing_spend.tenant_id = reporting_period.tenant_id
    where marketing_spend.spend_date <= reporting_period.as_of_date
)

select * from final
