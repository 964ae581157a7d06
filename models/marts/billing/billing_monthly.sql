{#-
  Finance's view of Stripe's invoices, per month of creation and currency: what was invoiced (finalized: paid,
  open or uncollectible; drafts and voided invoices are not), how much is paid, still open or written off, the
  tax collected and the discounts given, in the invoice's currency and in the reporting currency at the rate of
  the invoice's day. invoiced = paid + open + uncollectible, to the cent: amounts are summed in minor units, whole
  numbers, whose sums are exact in any order, and made major units once per month and currency.
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
        invoices.total as total_minor,
        case when invoices.status = 'paid' then invoices.total else 0 end as paid_minor,
        case when invoices.status = 'open' then invoices.total else 0 end as open_minor,
        case when invoices.status = 'uncollectible' then invoices.total else 0 end as uncollectible_minor,
        invoices.tax as tax_minor,
        invoices.subtotal + invoices.tax - invoices.total as discount_minor,
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
        {{ jobmetrics.in_major_units('sum(total_minor)', 'currency') }} as invoiced_in_currency,
        {{ jobmetrics.in_major_units('sum(paid_minor)', 'currency') }} as paid_in_currency,
        {{ jobmetrics.in_major_units('sum(open_minor)', 'currency') }} as open_in_currency,
        {{ jobmetrics.in_major_units('sum(uncollectible_minor)', 'currency') }} as uncollectible_in_currency,
        {{ jobmetrics.in_major_units('sum(tax_minor)', 'currency') }} as tax_in_currency,
        {{ jobmetrics.in_major_units('sum(discount_minor)', 'currency') }} as discounts_in_currency,
        {{ jobmetrics.in_major_units('sum(total_minor * fx_rate)', 'currency') }} as invoiced,
        {{ jobmetrics.in_major_units('sum(paid_minor * fx_rate)', 'currency') }} as paid,
        {{ jobmetrics.in_major_units('sum(open_minor * fx_rate)', 'currency') }} as open,
        {{ jobmetrics.in_major_units('sum(uncollectible_minor * fx_rate)', 'currency') }} as uncollectible,
        {{ jobmetrics.in_major_units('sum(tax_minor * fx_rate)', 'currency') }} as tax,
        {{ jobmetrics.in_major_units('sum(discount_minor * fx_rate)', 'currency') }} as discounts,
        cast({{ jobmetrics.reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency
    from finalized
    group by tenant_id, month, currency
)

select * from final
