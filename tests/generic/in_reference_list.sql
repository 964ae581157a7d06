{#- Fails on rows whose value is not in the reference list `to`.`field`, both compared trimmed and lower-case
    (a seed such as acquisition_channels: the one place a company's list is written). -#}
{% test in_reference_list(model, column_name, to, field) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and {{ jobmetrics.tidy_text(column_name) }} not in (
        select {{ jobmetrics.tidy_text(field) }}
        from {{ to }}
        where {{ field }} is not null
    )

{% endtest %}
