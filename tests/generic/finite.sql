{#- Fails on rows whose number is NaN or infinite: a Parquet file can hold them, and a sum or an average over
    one would publish "nan" as a KPI. -#}
{% test finite(model, column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not ({{ jobmetrics.is_finite(column_name) }})

{% endtest %}
