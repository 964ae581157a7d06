{#- Engine-specific pieces live here behind adapter.dispatch, so models stay portable. -#}

{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'jobmetrics')()) }}
{% endmacro %}

{#- dbt.type_float() is a 4-byte float on DuckDB; money and rates need 8 bytes. -#}
{% macro default__type_double() %}double precision{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}


{#- numerator / denominator as a double, null when the denominator is 0 or null; parenthesised, so that
    `1 - jobmetrics.safe_divide(a, b)` and `jobmetrics.safe_divide(a, b) * c` mean what they say. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ jobmetrics.type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- One row per tenant and period start (as a date) from start_column through end_column of each row of
    `bounds` (one row per tenant). -#}
{% macro date_series(bounds, start_column, end_column, datepart) %}
    {{ return(adapter.dispatch('date_series', 'jobmetrics')(bounds, start_column, end_column, datepart)) }}
{% endmacro %}

{% macro default__date_series(bounds, start_column, end_column, datepart) %}
    select
        {{ bounds }}.tenant_id,
        cast(series.period_start as date) as period_start
    from {{ bounds }}
    cross join generate_series(
        cast({{ bounds }}.{{ start_column }} as timestamp),
        cast({{ bounds }}.{{ end_column }} as timestamp),
        interval '1 {{ datepart }}'
    ) as series (period_start)
{% endmacro %}

{% macro spark__date_series(bounds, start_column, end_column, datepart) %}
    select
        {{ bounds }}.tenant_id,
        explode(sequence(
            cast({{ bounds }}.{{ start_column }} as date),
            cast({{ bounds }}.{{ end_column }} as date),
            interval 1 {{ datepart }}
        )) as period_start
    from {{ bounds }}
{% endmacro %}


{#- Round a double to `places` decimals, keeping it a double (PostgreSQL rounds only numeric). -#}
{% macro round_to(expression, places) %}
    {{ return(adapter.dispatch('round_to', 'jobmetrics')(expression, places)) }}
{% endmacro %}

{% macro default__round_to(expression, places) %}round({{ expression }}, {{ places }}){% endmacro %}

{% macro postgres__round_to(expression, places) -%}
    cast(round(cast({{ expression }} as numeric), {{ places }}) as double precision)
{%- endmacro %}


{#- A number per row from its values, for fingerprints. -#}
{% macro row_hash(expressions) %}
    {{ return(adapter.dispatch('row_hash', 'jobmetrics')(expressions)) }}
{% endmacro %}

{% macro default__row_hash(expressions) %}hash({{ expressions | join(', ') }}){% endmacro %}

{% macro postgres__row_hash(expressions) -%}
    hashtext(concat_ws('|', {{ expressions | join(', ') }}))
{%- endmacro %}


{#-
  The marts' contracts name their types as DuckDB and PostgreSQL both read them (double precision,
  varchar); dbt checks a contract by casting null to each declared type, so Spark is given its names.
-#}
{% macro spark__cast(field, type) -%}
    {%- set spark_types = {'double precision': 'double', 'varchar': 'string'} -%}
    cast({{ field }} as {{ spark_types.get(type | lower, type) }})
{%- endmacro %}


{#- The aggregate: `value` of the row with the largest `order_by` in the group, in one pass. -#}
{% macro value_at_max(value, order_by) %}
    {{ return(adapter.dispatch('value_at_max', 'jobmetrics')(value, order_by)) }}
{% endmacro %}

{% macro default__value_at_max(value, order_by) %}arg_max({{ value }}, {{ order_by }}){% endmacro %}

{% macro spark__value_at_max(value, order_by) %}max_by({{ value }}, {{ order_by }}){% endmacro %}

{% macro postgres__value_at_max(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }} desc))[1]
{%- endmacro %}


{#- Text as the contract compares coded values: trimmed and lower-case. -#}
{% macro tidy_text(expression) -%}
    lower(trim(cast({{ expression }} as {{ dbt.type_string() }})))
{%- endmacro %}


{#- True when the whole of `expression` matches the regular expression `pattern`. -#}
{% macro regex_full_match(expression, pattern) %}
    {{ return(adapter.dispatch('regex_full_match', 'jobmetrics')(expression, pattern)) }}
{% endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_full_match(expression, pattern) -%}
    ({{ expression }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro spark__regex_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}


{#- True for a number that is neither NaN nor infinite (a Parquet double may be either; a CSV cannot say them). -#}
{% macro is_finite(expression) %}
    {{ return(adapter.dispatch('is_finite', 'jobmetrics')(expression)) }}
{% endmacro %}

{% macro default__is_finite(expression) -%}
    {{ expression }} not in (
        cast('NaN' as double precision), cast('Infinity' as double precision), cast('-Infinity' as double precision)
    )
{%- endmacro %}

{% macro duckdb__is_finite(expression) %}isfinite({{ expression }}){% endmacro %}

{% macro spark__is_finite(expression) -%}
    not isnan({{ expression }}) and {{ expression }} not in (double('Infinity'), double('-Infinity'))
{%- endmacro %}


{#- A timestamp or date column as a timestamp, or null where it cannot be one: a raw table another tool loaded may
    hold its timestamps as text, whose unreadable values staging reports (the contract's tests must not error). -#}
{% macro timestamp_or_null(expression) %}
    {{ return(adapter.dispatch('timestamp_or_null', 'jobmetrics')(expression)) }}
{% endmacro %}

{% macro default__timestamp_or_null(expression) %}cast({{ expression }} as timestamp){% endmacro %}

{% macro duckdb__timestamp_or_null(expression) %}try_cast({{ expression }} as timestamp){% endmacro %}

{% macro spark__timestamp_or_null(expression) %}try_cast({{ expression }} as timestamp){% endmacro %}


{#- The text under `key` of a JSON object held as text; null when the key is absent or the text is not JSON. -#}
{% macro json_text(expression, key) %}
    {{ return(adapter.dispatch('json_text', 'jobmetrics')(expression, key)) }}
{% endmacro %}

{% macro default__json_text(expression, key) -%}
    case when json_valid({{ expression }}) then json_extract_string({{ expression }}, '$.{{ key }}') end
{%- endmacro %}

{% macro postgres__json_text(expression, key) -%}
    (cast({{ expression }} as json) ->> '{{ key }}')
{%- endmacro %}

{% macro spark__json_text(expression, key) -%}
    get_json_object({{ expression }}, '$.{{ key }}')
{%- endmacro %}
