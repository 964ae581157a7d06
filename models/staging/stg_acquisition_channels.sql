with

source as (
    select * from {{ ref('acquisition_channels') }}
),

final as (
    select
        {{ jobmetrics.tidy_text('acquisition_channel') }} as acquisition_channel,
        cast(is_paid as boolean) as is_paid
    from source
)

select * from final
