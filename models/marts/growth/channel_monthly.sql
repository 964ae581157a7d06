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
        month,
        acquisition_channel,
        sum(spend_usd) as spend_usd
    from marketing_spend
    group by month, acquisition_channel
),

signups as (
    select
        signup_month as month,
        acquisition_channel,
        count(*) as signups
    from users
    group by signup_month, acquisition_channel
),

new_customers as (
    select
        month,
        acquisition_channel,
        count(*) as new_customers
    from user_mrr
    where movement = 'new'
    group by month, acquisition_channel
),

spend_months as (
    -- spend can predate the first signup (launch campaigns); keep those months so no spend is lost
    select month from months
    union
    select month from marketing_spend
),

grid as (
    select
        spend_months.month,
        channels.acquisition_channel
    from spend_months
    cross join channels
),

final as (
    select
        grid.month,
        grid.acquisition_channel,
        {{ jobmetrics.round_to('coalesce(spend.spend_usd, 0)', 6) }} as spend_usd,
        cast(coalesce(signups.signups, 0) as {{ dbt.type_bigint() }}) as signups,
        cast(coalesce(new_customers.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        {{ jobmetrics.safe_divide('coalesce(spend.spend_usd, 0)', 'new_customers.new_customers') }} as cac
    from grid
    left join spend
        on grid.month = spend.month and grid.acquisition_channel = spend.acquisition_channel
    left join signups
        on grid.month = signups.month and grid.acquisition_channel = signups.acquisition_channel
    left join new_customers
        on grid.month = new_customers.month and grid.acquisition_channel = new_customers.acquisition_channel
)

select * from final
