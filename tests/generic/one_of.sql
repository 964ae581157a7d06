{#- Fails on rows whose value, as trimmed lower-case text, is not one of `values` (compared the same way). -#}
{% test one_of(model, column_name, values) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and {{ jobmetrics.tidy_text(column_name) }} not in (
        {%- for value in values %}
            '{{ value | string | lower }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )

{% endtest %}
