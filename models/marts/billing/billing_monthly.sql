{#-
  Finance's view of Stripe's invoices, per month of creation and currency: what was invoiced (finalized: paid,
  open or uncollectible; drafts and voided invoices are not), how much is paid, still open or written off, the
  tax collected and the discounts given, in the invoice's currency and in the reporting currency at the rate of
  the invoice's day. invoiced = paid + open + uncollectible, to the cent.
-#}
with

invoices as (
    select * from {{ ref('stg_stripe_invoices') }}
),

rates as (
    select * from {{ ref('int_fx_rate_spans') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

finalized as (
    select
        invoices.tenant_id,
        cast({{ dbt.date_trunc('month', 'invoices.created_date') }} as date) as month,
        invoices.currency,
        invoices.status,
        cast(invoices.total as {{ jobmetrics.type_double() }})
        / {{ jobmetrics.minor_units_per_major('invoices.currency') }} as total,
        cast(invoices.tax as {{ jobmetrics.type_double() }})
        / {{ jobmetrics.minor_units_per_major('invoices.currency') }} as tax,
        cast(invoices.subtotal + invoices.tax - invoices.total as {{ jobmetrics.type_double() }})
        / {{ jobmetrics.minor_units_per_major('invoices.currency') }} as discount,
        {{ jobmetrics.fx_rate('rates', 'invoices.currency') }} as fx_rate
    from invoices
    inner join reporting_period
        on invoices.tenant_id = reporting_period.tenant_id
    left join rates
        on {{ jobmetrics.rate_applies('rates', 'invoices.tenant_id', 'invoices.currency', 'invoices.created_date') }}
    where invoices.status in ('paid', 'open', 'uncollectible') and invoices.created_date <= reporting_period.as_of_date
),

final as (
    select
        tenant_id,
        month,
        currency,
        cast(count(*) as {{ dbt.type_bigint() }}) as invoices,
        {{ jobmetrics.round_to('sum(total)', 6) }} as invoiced_in_currency,
        {{ jobmetrics.round_to("sum(case when status = 'paid' then total else 0 end)", 6) }} as paid_in_currency,
        {{ jobmetrics.round_to("sum(case when status = 'open' then total else 0 end)", 6) }} as open_in_currency,
        {{ jobmetrics.round_to("sum(case when status = 'uncollectible' then total else 0 end)", 6) }}
            as uncollectible_in_currency,
        {{ jobmetrics.round_to('sum(tax)', 6) }} as tax_in_currency,
        {{ jobmetrics.round_to('sum(discount)', 6) }} as discounts_in_currency,
        {{ jobmetrics.round_to('sum(total * fx_rate)', 6) }} as invoiced,
        {{ jobmetrics.round_to("sum(case when status = 'paid' then total * fx_rate else 0 end)", 6) }} as paid,
        {{ jobmetrics.round_to("sum(case when status = 'open' then total * fx_rate else 0 end)", 6) }} as open,
        {{ jobmetrics.round_to("sum(case when status = 'uncollectible' then total * fx_rate else 0 end)", 6) }}
            as uncollectible,
        {{ jobmetrics.round_to('sum(tax * fx_rate)', 6) }} as tax,
        {{ jobmetrics.round_to('sum(discount * fx_rate)', 6) }} as discounts,
        cast({{ jobmetrics.reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency
    from finalized
    group by tenant_id, month, currency
)

select * from final
