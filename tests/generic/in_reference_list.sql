{#- Fails on rows whose value is not in the reference list `to`.`field` of the row's tenant (the tenant's own
    list where it brought one, else the seed), both compared trimmed and lower-case: a seed such as
    acquisition_channels is the one place a company's list is written. -#}
{% test in_reference_list(model, column_name, to, field) %}
with

checked as (
    select
        {{ jobmetrics.tenant_of(model) }} as tenant_id,
        {{ column_name }} as value_field
    from {{ model }}
    where {{ column_name }} is not null
),

tenants as (
    select distinct tenant_id from checked
),

allowed as (
    {{ jobmetrics.reference_list_per_tenant(to, {field: jobmetrics.tidy_text('{column}')}, 'tenants') }}
)

select checked.value_field
from checked
left join allowed
    on
        checked.tenant_id = allowed.tenant_id
        and {{ jobmetrics.tidy_text('checked.value_field') }} = allowed.{{ field }}
where allowed.{{ field }} is null

{% endtest %}
