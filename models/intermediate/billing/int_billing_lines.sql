{#-
  Every priced span of service, the one input of MRR: each subscription of the project's own billing format as
  one line (its MRR from start to end), and each of Stripe's service lines. Values are monthly, in the line's own
  currency; the readers convert them at the day's rate (int_fx_rate_spans).
-#}
with

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

stripe_lines as (
    select * from {{ ref('int_stripe_service_lines') }}
),

own_billing as (
    select
        subscriptions.tenant_id,
        subscriptions.user_id,
        subscriptions.billing_subscription_id,
        subscriptions.billing_subscription_id as line_id,
        subscriptions.currency,
        subscriptions.start_date,
        subscriptions.end_date,
        subscriptions.mrr as monthly_amount,
        cast(0 as {{ jobmetrics.type_double() }}) as monthly_discount,
        true as counts_as_mrr,
        false as is_uncollectible
    from subscriptions
    where subscriptions.billing_source = 'own'
),

stripe_billing as (
    select
        tenant_id,
        user_id,
        subscription_id as billing_subscription_id,
        invoice_id || '/' || line_id as line_id,
        currency,
        start_date,
        end_date,
        monthly_amount,
        monthly_discount,
        counts_as_mrr,
        invoice_status = 'uncollectible' as is_uncollectible
    from stripe_lines
),

final as (
    select * from own_billing
    union all
    select * from stripe_billing
)

select * from final
