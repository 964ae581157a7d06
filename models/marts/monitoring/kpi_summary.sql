{#- The KPIs are the rows of seeds/kpi_thresholds.csv measured in kpi_monthly; each is a column of it, whose
    YAML description is the one-line definition shown here. The build stops when the two disagree. -#}
{%- set kpis = jobmetrics.seed_values('kpi_thresholds', 'kpi', "measured_in = 'kpi_monthly'") -%}
{#- the graph is empty in unit tests, where descriptions are not under test -#}
{%- set kpi_node = graph.get('nodes', {}).get('model.jobmetrics.kpi_monthly', {}) if execute else {} -%}
{%- set kpi_columns = kpi_node.get('columns', {}) -%}
{%- if kpi_columns -%}
    {{ jobmetrics.assert_same_list(
        kpis, kpi_columns.keys() | reject('in', ['tenant_id', 'month', 'is_complete_month']) | list,
        'seeds/kpi_thresholds.csv', 'the columns of kpi_monthly'
    ) }}
{%- endif -%}

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
        benchmark_note,
        in_plain_words,
        also_called
    from {{ ref('kpi_thresholds') }}
),

latest_complete as (
    -- null for a tenant without a complete month yet: its KPIs then read no_data
    select
        tenant_id,
        max(case when is_complete_month then month end) as month
    from kpi_months
    group by tenant_id
),

measured as (
    -- the latest complete month and the one before it
    select
        latest_complete.tenant_id,
        kpi_months.month,
        {%- for kpi in kpis or ['kpi_listed_in_the_seed'] %}
            kpi_months.{{ kpi }},
        {%- endfor %}
        kpi_months.month = latest_complete.month as is_latest
    from latest_complete
    left join kpi_months
        on
            latest_complete.tenant_id = kpi_months.tenant_id
            and (
                latest_complete.month = kpi_months.month
                or cast({{ dbt.dateadd('month', -1, 'latest_complete.month') }} as date) = kpi_months.month
            )
),

unpivoted as (
    {#- a linter compiles without the seed loaded: it still sees the query's shape -#}
    {%- for kpi in kpis or ['kpi_listed_in_the_seed'] %}
        {%- set description = kpi_columns.get(kpi, {}).get('description', '') | replace('\n', ' ') | trim %}
        select
            tenant_id,
            '{{ kpi }}' as kpi,
            '{{ description | replace("'", "''") }}' as description,
            max(case when is_latest then month end) as month,
            max(case when is_latest then {{ kpi }} end) as kpi_value,
            max(case when not is_latest then {{ kpi }} end) as previous_value
        from measured
        group by tenant_id
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        unpivoted.tenant_id,
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
        {{ jobmetrics.kpi_status('unpivoted.kpi_value', 'thresholds') }} as status,
        thresholds.benchmark_note,
        unpivoted.description,
        thresholds.in_plain_words,
        thresholds.also_called
    from unpivoted
    left join thresholds
        on unpivoted.kpi = thresholds.kpi
)

select * from final
