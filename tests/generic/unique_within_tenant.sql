{#- Fails once per value that occurs more than once within a tenant (two tenants may share an id). -#}
{% test unique_within_tenant(model, column_name) %}
{%- set tenant = jobmetrics.tenant_of(model) %}

select
    {{ tenant }} as tenant_id,
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ tenant }}, {{ column_name }}
having count(*) > 1

{% endtest %}
