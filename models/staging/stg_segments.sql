with

source as (
    select * from {{ ref('segments') }}
),

final as (
    select {{ tidy_text('segment') }} as segment
    from source
)

select * from final
