{#-
  Each trial (docs/metrics.md, trial_conversion): a Stripe subscription with a trial_start on or before as_of_date
  is a trial in the month of trial_start; it converts when the same subscription has a paying line (paid or
  open, value above 0) starting on or after date(trial_end), by as_of_date.
-#}
with

subscriptions as (
    select * from {{ ref('stg_stripe_subscriptions') }}
),

customers as (
    select * from {{ ref('stg_stripe_customers') }}
),

lines as (
    select * from {{ ref('int_stripe_service_lines') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

trials as (
    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        customers.user_id,
        cast(subscriptions.trial_start as date) as trial_start_date,
        cast(subscriptions.trial_end as date) as trial_end_date,
        reporting_period.as_of_date
    from subscriptions
    inner join customers
        on subscriptions.tenant_id = customers.tenant_id and subscriptions.customer_id = customers.customer_id
    inner join reporting_period
        on subscriptions.tenant_id = reporting_period.tenant_id
    where cast(subscriptions.trial_start as date) <= reporting_period.as_of_date
),

conversions as (
    select
        trials.tenant_id,
        trials.subscription_id,
        min(lines.start_date) as converted_on
    from trials
    inner join lines
        on
            trials.tenant_id = lines.tenant_id
            and trials.subscription_id = lines.subscription_id
            and lines.counts_as_mrr
            and lines.monthly_amount > 0
            and lines.start_date >= coalesce(trials.trial_end_date, trials.trial_start_date)
    group by trials.tenant_id, trials.subscription_id
),

final as (
    select
        trials.tenant_id,
        trials.subscription_id,
        trials.user_id,
        cast({{ dbt.date_trunc('month', 'trials.trial_start_date') }} as date) as trial_month,
        trials.trial_start_date,
        trials.trial_end_date,
        coalesce(trials.trial_end_date <= trials.as_of_date, false) as has_ended,
        conversions.converted_on,
        conversions.converted_on is not null as is_converted
    from trials
    left join conversions
        on trials.tenant_id = conversions.tenant_id and trials.subscription_id = conversions.subscription_id
)

select * from final
