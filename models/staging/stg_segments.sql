{#- Each tenant's segments: its own segments.csv when it brought one, else the seed's. -#}
with

tenants as (
    select distinct {{ jobmetrics.tenant_of(source('raw', 'raw_users')) }} as tenant_id
    from {{ source('raw', 'raw_users') }}
),

segments as (
    {{ jobmetrics.reference_list_per_tenant(
        ref('segments'), {'segment': jobmetrics.tidy_text('{column}')}, 'tenants'
    ) }}
),

final as (
    select
        tenant_id,
        segment
    from segments
)

select * from final
