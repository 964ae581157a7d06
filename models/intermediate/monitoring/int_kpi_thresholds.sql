with

kpi_thresholds as (
    select * from {{ ref('kpi_thresholds') }}
),

final as (
    -- the seed's numbers are typed by what the file holds (whole numbers load as integers): typed once here
    select
        kpi,
        label,
        unit,
        direction,
        cast(warning as {{ jobmetrics.type_double() }}) as warning,
        cast(critical as {{ jobmetrics.type_double() }}) as critical,
        benchmark_note,
        in_plain_words,
        also_called,
        measured_in
    from kpi_thresholds
)

select * from final
