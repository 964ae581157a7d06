-- The reporting period is one row per tenant: an empty table (no raw data on or before as_of_date) fails too.
with

period_rows as (
    select
        count(*) as n_rows,
        count(distinct tenant_id) as n_tenants
    from {{ ref('int_reporting_period') }}
),

final as (
    select
        n_rows,
        n_tenants
    from period_rows
    where n_rows = 0 or n_rows != n_tenants
)

select * from final
