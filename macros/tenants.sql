{#-
  Tenants: several companies in one warehouse. Every table carries tenant_id as its first column, and every
  key, join, window and grouping includes it (docs/data.md). The loader writes tenant_id into each raw table;
  a raw table another tool loaded (JOBMETRICS_RAW_SCHEMA) may leave it out, and then holds one tenant,
  `default`.
-#}
{% macro tenant_of(source_relation) %}
    {#- a test's `where` config hands the model over as a subquery: a mart, which always has tenant_id -#}
    {%- if execute and source_relation is not string -%}
        {%- set names = adapter.get_columns_in_relation(source_relation) | map(attribute='name') | map('lower') | list -%}
        {%- if names and 'tenant_id' not in names -%}
            {{ return("cast('default' as " ~ dbt.type_string() ~ ")") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(jobmetrics.tidy_text('tenant_id')) }}
{% endmacro %}


{#- The lists tenants bring of their own (raw.tenant_<seed>, written by the loader), or none when the raw schema
    has no such table (another tool loaded it): then every tenant uses the seed. -#}
{% macro tenant_reference_list(seed_name) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set raw_table = source('raw', 'raw_users') -%}
    {{ return(adapter.get_relation(raw_table.database, raw_table.schema, 'tenant_' ~ seed_name)) }}
{% endmacro %}


{#-
  A reference list per tenant, as a query with tenant_id and `columns` (tidied): a tenant's own list where it
  brought one, else the rows of `seed` (the seed's relation, whose name names the list), for every tenant in
  `tenants` (a relation with tenant_id).
-#}
{% macro reference_list_per_tenant(seed, columns, tenants) %}
    {#- the seed's name is known only when running: a ref seen while parsing names the node being parsed -#}
    {%- set own = jobmetrics.tenant_reference_list(seed.identifier) if execute else none -%}
    select
        {{ tenants }}.tenant_id,
        {%- for column, expression in columns.items() %}
            {{ expression | replace('{column}', 'seeded.' ~ column) }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ tenants }}
    cross join {{ seed }} as seeded
    {%- if own is not none %}
        where {{ tenants }}.tenant_id not in (select {{ jobmetrics.tidy_text('tenant_id') }} from {{ own }})
        union all
        select
            {{ jobmetrics.tidy_text('own.tenant_id') }} as tenant_id,
            {%- for column, expression in columns.items() %}
                {{ expression | replace('{column}', 'own.' ~ column) }} as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ own }} as own
    {%- endif %}
{% endmacro %}
