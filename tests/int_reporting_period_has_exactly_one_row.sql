-- The reporting period is one row: an empty table (no raw data on or before as_of_date) fails too.
with

period_rows as (
    select count(*) as n_rows from {{ ref('int_reporting_period') }}
),

final as (
    select n_rows from period_rows
    where n_rows != 1
)

select * from final
