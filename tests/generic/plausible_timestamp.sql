{#- Fails on rows dated before the var earliest_plausible_date or more than future_tolerance_days days after the
    day of the build (`future_days` instead, for a date that is rightly ahead, like the end of a year paid for):
    one scan dated 9999-12-31 would otherwise become the reporting date. -#}
{% test plausible_timestamp(model, column_name, future_days=none) %}
{%- set ahead = future_days if future_days is not none else var('future_tolerance_days') %}

{%- set moment = jobmetrics.timestamp_or_null(column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ moment }} < cast('{{ var("earliest_plausible_date") }}' as date)
    or {{ moment }} >= {{ dbt.dateadd('day', ahead | int + 1, 'current_date') }}

{% endtest %}
