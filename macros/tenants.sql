{#-
  Tenants: several companies in one warehouse. Every table carries tenant_id as its first column, and every
  key, join, window and grouping includes it (docs/data.md). The loader writes tenant_id into each raw table;
  a raw table another tool loaded (JOBMETRICS_RAW_SCHEMA) may leave it out, and then holds one tenant,
  `default`.
-#}
{% macro tenant_of(source_relation) %}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(source_relation) | map(attribute='name') | map('lower') | list -%}
        {%- if names and 'tenant_id' not in names -%}
            {{ return("cast('default' as " ~ dbt.type_string() ~ ")") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(jobmetrics.tidy_text('tenant_id')) }}
{% endmacro %}
