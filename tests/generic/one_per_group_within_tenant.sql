{#- Fails once per group (within a tenant) that does not have exactly one row where `condition` holds. -#}
{% test one_per_group_within_tenant(model, group_by, condition, words=none) %}
{%- set tenant = jobmetrics.tenant_of(model) %}

select
    {{ tenant }} as tenant_id,
    {{ group_by }},
    sum(case when coalesce(({{ condition }}), false) then 1 else 0 end) as n_matching
from {{ model }}
group by {{ tenant }}, {{ group_by }}
having sum(case when coalesce(({{ condition }}), false) then 1 else 0 end) != 1

{% endtest %}
