{#- Fails once per combination of the given columns that occurs more than once within a tenant. -#}
{% test unique_combination_within_tenant(model, combination) %}
{%- set tenant = jobmetrics.tenant_of(model) %}

select
    {{ tenant }} as tenant_id,
    {{ combination | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ tenant }}, {{ combination | join(', ') }}
having count(*) > 1

{% endtest %}
