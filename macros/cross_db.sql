{#- Engine-specific pieces live here behind adapter.dispatch, so models stay portable. -#}

{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'jobmetrics')()) }}
{% endmacro %}

{#- dbt.type_float() is a 4-byte float on DuckDB; money and rates need 8 bytes. -#}
{% macro default__type_double() %}double precision{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}


{#- numerator / denominator as a double, null when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) %}
    cast({{ numerator }} as {{ jobmetrics.type_double() }}) / nullif({{ denominator }}, 0)
{% endmacro %}


{#- One row per period start (as a date) from start_column through end_column of a one-row relation. -#}
{% macro date_series(bounds, start_column, end_column, datepart) %}
    {{ return(adapter.dispatch('date_series', 'jobmetrics')(bounds, start_column, end_column, datepart)) }}
{% endmacro %}

{% macro default__date_series(bounds, start_column, end_column, datepart) %}
    select cast(series.period_start as date) as period_start
    from {{ bounds }}
    cross join generate_series(
        cast({{ bounds }}.{{ start_column }} as timestamp),
        cast({{ bounds }}.{{ end_column }} as timestamp),
        interval '1 {{ datepart }}'
    ) as series (period_start)
{% endmacro %}

{% macro spark__date_series(bounds, start_column, end_column, datepart) %}
    select explode(sequence(
        cast({{ bounds }}.{{ start_column }} as date),
        cast({{ bounds }}.{{ end_column }} as date),
        interval 1 {{ datepart }}
    )) as period_start
    from {{ bounds }}
{% endmacro %}
