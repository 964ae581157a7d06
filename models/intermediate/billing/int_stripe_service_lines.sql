{#-
  Stripe's invoice lines that carry subscription revenue, each with its monthly value in its own currency (the
  rules in docs/metrics.md, "MRR from Stripe"): subscription lines of licensed prices on invoices that are paid,
  open or uncollectible (uncollectible lines never count as MRR: they mark failed payments); a proration line at
  its full-period value; the invoice's discount share taken off; minor units to major; divided by the price's
  interval in months. A line counts from date(period_start) until date(period_end), or until the subscription's
  end when that comes first. As known on as_of_date: later periods left out, later ends not yet happened.
-#}
with

lines as (
    select * from {{ ref('stg_stripe_invoice_line_items') }}
),

invoices as (
    select * from {{ ref('stg_stripe_invoices') }}
),

prices as (
    select * from {{ ref('stg_stripe_prices') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe_subscriptions') }}
),

customers as (
    select * from {{ ref('stg_stripe_customers') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

priced as (
    select
        lines.tenant_id,
        lines.invoice_id,
        lines.line_id,
        lines.subscription_id,
        lines.price_id,
        lines.quantity,
        lines.period_start,
        customers.user_id,
        invoices.currency,
        invoices.status as invoice_status,
        lines.period_start_date as start_date,
        case
            when
                cast(subscriptions.ended_at as date) <= reporting_period.as_of_date
                and cast(subscriptions.ended_at as date) < lines.period_end_date
                then cast(subscriptions.ended_at as date)
            else lines.period_end_date
        end as end_date,
        case
            when lines.is_proration then sign(lines.amount) * lines.quantity * prices.unit_amount
            else lines.amount
        end as full_amount,
        case
            when invoices.subtotal = 0 then 0
            else cast(invoices.subtotal + invoices.tax - invoices.total as {{ jobmetrics.type_double() }})
                / invoices.subtotal
        end as discount_share,
        {{ jobmetrics.minor_units_per_major('invoices.currency') }} as minor_units,
        {{ jobmetrics.price_interval_months('prices.recurring_interval', 'prices.recurring_interval_count') }}
            as interval_months,
        lines.is_proration
    from lines
    inner join invoices
        on lines.tenant_id = invoices.tenant_id and lines.invoice_id = invoices.invoice_id
    inner join prices
        on lines.tenant_id = prices.tenant_id and lines.price_id = prices.price_id
    inner join customers
        on invoices.tenant_id = customers.tenant_id and invoices.customer_id = customers.customer_id
    inner join reporting_period
        on lines.tenant_id = reporting_period.tenant_id
    left join subscriptions
        on lines.tenant_id = subscriptions.tenant_id and lines.subscription_id = subscriptions.subscription_id
    where
        lines.line_type = 'subscription'
        and prices.recurring_usage_type = 'licensed'
        and prices.recurring_interval is not null
        and invoices.status in ('paid', 'open', 'uncollectible')
        and lines.period_start_date <= reporting_period.as_of_date
),

final as (
    select
        tenant_id,
        invoice_id,
        line_id,
        subscription_id,
        price_id,
        user_id,
        currency,
        invoice_status,
        invoice_status in ('paid', 'open') as counts_as_mrr,
        is_proration,
        quantity,
        period_start,
        start_date,
        end_date,
        interval_months,
        full_amount * (1 - discount_share) / minor_units / interval_months as monthly_amount,
        full_amount * discount_share / minor_units / interval_months as monthly_discount
    from priced
    where end_date > start_date
)

select * from final
