with

scans as (
    select * from {{ ref('stg_scans') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

final as (
    select
        scans.scan_id,
        scans.user_id,
        scans.scanned_at,
        scans.scan_date,
        scans.job_id,
        scans.match_rate
    from scans
    cross join reporting_period
    where scans.scan_date <= reporting_period.as_of_date
)

select * from final
