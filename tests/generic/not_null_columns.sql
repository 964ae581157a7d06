{#- Fails once per listed column that holds a null, naming it with its number of null rows: the columns of one
    model in one node and one pass over the table (a not_null test per column paid dbt's cost per node each). -#}
{% test not_null_columns(model, columns) %}

with

counted as (
    select
        {%- for column in columns %}
            sum(case when {{ column }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns %}
    select
        '{{ column }}' as null_column,
        null_rows_{{ loop.index }} as null_rows
    from counted
    where null_rows_{{ loop.index }} > 0
    {{ 'union all' if not loop.last }}
{%- endfor %}

{% endtest %}
