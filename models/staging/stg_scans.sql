{{ assert_raw_columns('raw', 'raw_scans') }}

with

source as (
    select * from {{ source('raw', 'raw_scans') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_scans')) }} as tenant_id,
        cast(scan_id as {{ dbt.type_bigint() }}) as scan_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(scanned_at as {{ dbt.type_timestamp() }}) as scanned_at,
        cast(scanned_at as date) as scan_date,
        cast(job_id as {{ dbt.type_bigint() }}) as job_id,
        cast(match_rate as {{ jobmetrics.type_double() }}) as match_rate
    from source
)

select * from final
