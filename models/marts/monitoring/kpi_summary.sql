{#- The latest complete month of kpi_history, where the KPIs, their previous values and statuses are computed. -#}
with

history as (
    select * from {{ ref('kpi_history') }}
),

latest as (
    -- null for a tenant without a complete month yet: kpi_history then holds its KPIs with a null month
    select
        tenant_id,
        max(month) as month
    from history
    group by tenant_id
),

final as (
    select history.*
    from history
    inner join latest
        on
            history.tenant_id = latest.tenant_id
            and (history.month = latest.month or (history.month is null and latest.month is null))
)

select * from final
