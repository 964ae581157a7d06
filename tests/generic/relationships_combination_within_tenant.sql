{#- Fails on rows whose combination of values (expressions over the columns) has no match in `to` within the
    same tenant. -#}
{% test relationships_combination_within_tenant(model, combination, to) %}
{%- set child_tenant = jobmetrics.tenant_of(model) -%}
{%- set parent_tenant = jobmetrics.tenant_of(to) %}

with

children as (
    select
        {{ child_tenant }} as tenant_id,
        {%- for part in combination %}
            {#- named after the column the expression reads, for the failure report -#}
            {{ part }} as {{ modules.re.findall('[a-z_]+', part)[-1] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

parents as (
    select distinct
        {{ parent_tenant }} as tenant_id,
        {%- for part in combination %}
            {{ part }} as {{ modules.re.findall('[a-z_]+', part)[-1] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ to }}
)

select children.*
from children
where
    {%- for part in combination %}
        children.{{ modules.re.findall('[a-z_]+', part)[-1] }} is not null and
    {%- endfor %}
    not exists (
        select 1
        from parents
        where
            parents.tenant_id = children.tenant_id
            {%- for part in combination %}
                {%- set name = modules.re.findall('[a-z_]+', part)[-1] %}
                and parents.{{ name }} = children.{{ name }}
            {%- endfor %}
    )

{% endtest %}
