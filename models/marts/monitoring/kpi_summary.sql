{#- Every KPI is a column of kpi_monthly; its YAML description is the one-line definition shown here. -#}
{%- set kpis = [
    'mrr_growth_rate', 'customer_churn_rate', 'gross_mrr_churn_rate', 'net_mrr_retention', 'quick_ratio',
    'arpu', 'conversion_rate', 'month1_logo_retention', 'ltv_to_cac', 'cac_payback_months', 'avg_match_rate'
] -%}
{#- the graph is empty in unit tests, where descriptions are not under test -#}
{%- set kpi_node = graph.get('nodes', {}).get('model.jobmetrics.kpi_monthly', {}) if execute else {} -%}
{%- set kpi_columns = kpi_node.get('columns', {}) -%}

with

kpi_months as (
    select * from {{ ref('kpi_monthly') }}
),

thresholds as (
    -- the seed's numbers are typed by what the file holds (whole numbers load as integers)
    select
        kpi,
        label,
        unit,
        direction,
        cast(warning as {{ jobmetrics.type_double() }}) as warning,
        cast(critical as {{ jobmetrics.type_double() }}) as critical,
        benchmark_note
    from {{ ref('kpi_thresholds') }}
),

latest_complete as (
    select max(month) as month from kpi_months
    where is_complete_month
),

measured as (
    -- the latest complete month and the one before it
    select
        kpi_months.*,
        kpi_months.month = latest_complete.month as is_latest
    from kpi_months
    inner join latest_complete
        on
            kpi_months.month = latest_complete.month
            or kpi_months.month = cast({{ dbt.dateadd('month', -1, 'latest_complete.month') }} as date)
),

unpivoted as (
    {%- for kpi in kpis %}
        select
            '{{ kpi }}' as kpi,
            '{{ kpi_columns.get(kpi, {}).get('description', '') | replace("'", "''") | replace('\n', ' ') | trim }}'
                as description,
            max(case when is_latest then month end) as month,
            max(case when is_latest then {{ kpi }} end) as kpi_value,
            max(case when not is_latest then {{ kpi }} end) as previous_value
        from measured
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        unpivoted.kpi,
        thresholds.label,
        thresholds.unit,
        unpivoted.month,
        unpivoted.kpi_value as value,
        unpivoted.previous_value,
        unpivoted.kpi_value - unpivoted.previous_value as change,
        thresholds.direction,
        thresholds.warning,
        thresholds.critical,
        case
            when unpivoted.kpi_value is null then 'no_data'
            when thresholds.direction = 'higher_is_better' and unpivoted.kpi_value < thresholds.critical then 'critical'
            when thresholds.direction = 'lower_is_better' and unpivoted.kpi_value > thresholds.critical then 'critical'
            when thresholds.direction = 'higher_is_better' and unpivoted.kpi_value < thresholds.warning then 'warning'
            when thresholds.direction = 'lower_is_better' and unpivoted.kpi_value > thresholds.warning then 'warning'
            else 'ok'
        end as status,
        thresholds.benchmark_note,
        unpivoted.description
    from unpivoted
    left join thresholds
        on unpivoted.kpi = thresholds.kpi
)

select * from final
