with

users as (
    select * from {{ ref('stg_users') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

final as (
    select
        users.user_id,
        users.signup_at,
        users.signup_date,
        cast({{ dbt.date_trunc('month', 'users.signup_date') }} as date) as signup_month,
        users.acquisition_channel,
        users.segment,
        users.country
    from users
    cross join reporting_period
    where users.signup_date <= reporting_period.as_of_date
)

select * from final
