{#- Fails on rows whose value has no match in `to`.`field` of the same tenant. -#}
{% test relationships_within_tenant(model, column_name, to, field) %}
{%- set child_tenant = jobmetrics.tenant_of(model) -%}
{%- set parent_tenant = jobmetrics.tenant_of(to) %}

with

children as (
    select
        {{ child_tenant }} as tenant_id,
        {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parents as (
    select
        {{ parent_tenant }} as tenant_id,
        {{ field }} as to_field
    from {{ to }}
)

select children.from_field
from children
left join parents
    on children.tenant_id = parents.tenant_id and children.from_field = parents.to_field
where parents.to_field is null

{% endtest %}
