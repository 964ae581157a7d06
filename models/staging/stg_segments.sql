with

source as (
    select * from {{ ref('segments') }}
),

final as (
    select {{ jobmetrics.tidy_text('segment') }} as segment
    from source
)

select * from final
