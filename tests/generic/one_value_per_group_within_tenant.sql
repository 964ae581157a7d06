{#- Fails once per group (within a tenant) whose rows hold more than one value of the column (compared trimmed and
    case-insensitive). -#}
{% test one_value_per_group_within_tenant(model, column_name, group_by, words=none) %}
{%- set tenant = jobmetrics.tenant_of(model) %}

select
    {{ tenant }} as tenant_id,
    {{ group_by }},
    min({{ jobmetrics.tidy_text(column_name) }}) || ', ' || max({{ jobmetrics.tidy_text(column_name) }}) as value_field
from {{ model }}
group by {{ tenant }}, {{ group_by }}
having min({{ jobmetrics.tidy_text(column_name) }}) <> max({{ jobmetrics.tidy_text(column_name) }})

{% endtest %}
