{#-
  Each rate's span of days: from its date until the next rate of the same currency (open for the latest). The
  reporting currency needs no rate: converting it is multiplying by 1 (see int_billing_lines' readers).
-#}
with

rates as (
    select * from {{ ref('stg_fx_rates') }}
),

final as (
    select
        tenant_id,
        currency,
        rate_date as valid_from,
        lead(rate_date) over (partition by tenant_id, currency order by rate_date) as valid_until,
        rate
    from rates
)

select * from final
