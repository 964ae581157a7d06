with

scans as (
    select * from {{ ref('stg_scans') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

final as (
    select
        scans.tenant_id,
        scans.scan_id,
        scans.user_id,
        scans.scanned_at,
        scans.scan_date,
        scans.job_id,
        scans.match_rate
    from scans
    inner join reporting_period
        on scans.tenant_id = reporting_period.tenant_id
    where scans.scan_date <= reporting_period.as_of_date
)

select * from final
