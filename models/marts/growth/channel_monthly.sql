with

months as (
    select * from {{ ref('int_months') }}
),

channels as (
    select * from {{ ref('int_acquisition_channels') }}
),

users as (
    select * from {{ ref('int_users') }}
),

user_mrr as (
    select * from {{ ref('fct_mrr') }}
),

marketing_spend as (
    select * from {{ ref('int_marketing_spend') }}
),

spend as (
    select
        tenant_id,
        month,
        acquisition_channel,
        sum(spend_usd) as spend_usd
    from marketing_spend
    group by tenant_id, month, acquisition_channel
),

signups as (
    select
        tenant_id,
        signup_month as month,
        acquisition_channel,
        count(*) as signups
    from users
    group by tenant_id, signup_month, acquisition_channel
),

new_customers as (
    select
        tenant_id,
        month,
        acquisition_channel,
        count(*) as new_customers
    from user_mrr
    where movement = 'new'
    group by tenant_id, month, acquisition_channel
),

spend_months as (
    -- spend can predate the first signup (launch campaigns); keep those months so no spend is lost
    select
        tenant_id,
        month
    from months
    union
    select
        tenant_id,
        month
    from marketing_spend
),

grid as (
    select
        spend_months.tenant_id,
        spend_months.month,
        channels.acquisition_channel
    from spend_months
    inner join channels
        on spend_months.tenant_id = channels.tenant_id
),

final as (
    select
        grid.tenant_id,
        grid.month,
        grid.acquisition_channel,
        {{ jobmetrics.round_to('coalesce(spend.spend_usd, 0)', 6) }} as spend_usd,
        cast(coalesce(signups.signups, 0) as {{ dbt.type_bigint() }}) as signups,
        cast(coalesce(new_customers.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        {{ jobmetrics.safe_divide('coalesce(spend.spend_usd, 0)', 'new_customers.new_customers') }} as cac
    from grid
    left join spend
        on
            grid.tenant_id = spend.tenant_id
            and grid.month = spend.month
            and grid.acquisition_channel = spend.acquisition_channel
    left join signups
        on
            grid.tenant_id = signups.tenant_id
            and grid.month = signups.month
            and grid.acquisition_channel = signups.acquisition_channel
    left join new_customers
        on
            grid.tenant_id = new_customers.tenant_id
            and grid.month = new_customers.month
            and grid.acquisition_channel = new_customers.acquisition_channel
)

select * from final
