{#- The KPIs of seeds/kpi_thresholds.csv measured in churn_risk: today's expected loss, read as kpi_summary's
    monthly KPIs are, so the alerts, the overview and the dashboard show it among them. -#}
{%- set kpis = jobmetrics.seed_values('kpi_thresholds', 'kpi', "measured_in = 'churn_risk'") -%}
{{ jobmetrics.assert_same_list(
    kpis, ['mrr_at_risk_30d'], "seeds/kpi_thresholds.csv (measured_in churn_risk)", 'churn_risk_kpi'
) }}

with

risk as (
    select * from {{ ref('churn_risk') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

thresholds as (
    select * from {{ ref('int_kpi_thresholds') }}
    where kpi = 'mrr_at_risk_30d'
),

totals as (
    select
        tenant_id,
        sum(expected_mrr_at_risk) as expected_mrr_at_risk,
        sum(mrr) as mrr
    from risk
    group by tenant_id
),

measured as (
    -- every tenant: one with no scored customer reads no_data
    select
        reporting_period.tenant_id,
        {{ jobmetrics.safe_divide('totals.expected_mrr_at_risk', 'totals.mrr') }} as kpi_value
    from reporting_period
    left join totals
        on reporting_period.tenant_id = totals.tenant_id
),

final as (
    select
        measured.tenant_id,
        thresholds.kpi,
        thresholds.label,
        thresholds.unit,
        cast(null as date) as month,
        measured.kpi_value as value,
        cast(null as {{ jobmetrics.type_double() }}) as previous_value,
        cast(null as {{ jobmetrics.type_double() }}) as change,
        thresholds.direction,
        thresholds.warning,
        thresholds.critical,
        {{ jobmetrics.kpi_status('measured.kpi_value', 'thresholds') }} as status,
        thresholds.benchmark_note,
        'expected_mrr_at_risk summed over the customers paying on as_of_date, divided by their MRR (churn_risk)'
            as description,
        thresholds.in_plain_words,
        thresholds.also_called
    from measured
    cross join thresholds
)

select * from final
