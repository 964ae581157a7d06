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
    select * from {{ ref('int_kpi_thresholds') }}
),

tenants as (
    select distinct tenant_id
    from kpi_months
),

reported_months as (
    -- every complete month; a tenant without one yet gets one row with a null month (its KPIs read no_data)
    select
        tenants.tenant_id,
        kpi_months.month
    from tenants
    left join kpi_months
        on
            tenants.tenant_id = kpi_months.tenant_id
            and kpi_months.is_complete_month
),

measured as (
    -- each reported month beside the month before it
    select
        reported_months.tenant_id,
        {%- for kpi in kpis or ['kpi_listed_in_the_seed'] %}
            this_month.{{ kpi }},
            previous_month.{{ kpi }} as previous_{{ kpi }},
        {%- endfor %}
        reported_months.month
    from reported_months
    left join kpi_months as this_month
        on
            reported_months.tenant_id = this_month.tenant_id
            and reported_months.month = this_month.month
    left join kpi_months as previous_month
        on
            reported_months.tenant_id = previous_month.tenant_id
            and cast({{ dbt.dateadd('month', -1, 'reported_months.month') }} as date) = previous_month.month
),

unpivoted as (
    {#- a linter compiles without the seed loaded: it still sees the query's shape -#}
    {%- for kpi in kpis or ['kpi_listed_in_the_seed'] %}
        {%- set description = kpi_columns.get(kpi, {}).get('description', '') | replace('\n', ' ') | trim %}
        select
            tenant_id,
            '{{ kpi }}' as kpi,
            '{{ description | replace("'", "''") }}' as description,
            month,
            {{ kpi }} as kpi_value,
            previous_{{ kpi }} as previous_value
        from measured
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
