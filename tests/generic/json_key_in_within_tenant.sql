{#- Fails on rows whose JSON object has no value under the key var stripe_user_id_key, or a value with no match in
    `to`.`field` of the same tenant (a Stripe customer must name the user it bills). -#}
{% test json_key_in_within_tenant(model, column_name, to, field) %}
{%- set child_tenant = jobmetrics.tenant_of(model) -%}
{%- set parent_tenant = jobmetrics.tenant_of(to) %}

with

children as (
    select
        {{ child_tenant }} as tenant_id,
        {{ column_name }} as from_field,
        trim({{ jobmetrics.json_text(column_name, var('stripe_user_id_key')) }}) as named
    from {{ model }}
),

parents as (
    select
        {{ parent_tenant }} as tenant_id,
        cast({{ field }} as {{ dbt.type_string() }}) as to_field
    from {{ to }}
)

select children.from_field
from children
left join parents
    on children.tenant_id = parents.tenant_id and children.named = parents.to_field
where parents.to_field is null

{% endtest %}
