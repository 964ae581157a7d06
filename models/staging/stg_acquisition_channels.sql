{#- Each tenant's channels: its own acquisition_channels.csv when it brought one, else the seed's. -#}
with

tenants as (
    select distinct {{ jobmetrics.tenant_of(source('raw', 'raw_users')) }} as tenant_id
    from {{ source('raw', 'raw_users') }}
),

channels as (
    {{ jobmetrics.reference_list_per_tenant(
        ref('acquisition_channels'),
        {'acquisition_channel': jobmetrics.tidy_text('{column}'), 'is_paid': 'cast({column} as boolean)'},
        'tenants'
    ) }}
),

final as (
    select
        tenant_id,
        acquisition_channel,
        is_paid
    from channels
)

select * from final
