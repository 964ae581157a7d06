{#- Fails on rows dated before the var earliest_plausible_date or more than future_tolerance_days days after the
    day of the build: one scan dated 9999-12-31 would otherwise become the reporting date. -#}
{% test plausible_timestamp(model, column_name) %}

{%- set moment = jobmetrics.timestamp_or_null(column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ moment }} < cast('{{ var("earliest_plausible_date") }}' as date)
    or {{ moment }} >= {{ dbt.dateadd('day', var('future_tolerance_days') | int + 1, 'current_date') }}

{% endtest %}
