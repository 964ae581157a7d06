{#-
  The lists a company edits (KPIs with their thresholds, the monitored daily metrics) are seeds; models that
  need a list at compile time read it from the loaded seed, so the seed is the one place it is written.
-#}

{#- The values of one column of a loaded seed, sorted (of the rows matching the SQL condition `where`, if given). -#}
{% macro seed_values(seed_name, column, where=none) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {#- unit tests compile with an empty graph: the seeds' schema is then found as dbt names it -#}
    {%- set node = graph.get('nodes', {}).get('seed.jobmetrics.' ~ seed_name) -%}
    {%- set schema = node.schema if node else generate_schema_name('reference', none) | trim -%}
    {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=seed_name) -%}
    {%- if relation is none -%}
        {#- only a linter compiles without seeds; dbt build always loads them before their readers -#}
        {%- if flags.WHICH in ('build', 'run', 'test') -%}
            {{ exceptions.raise_compiler_error("seeds/" ~ seed_name ~ ".csv is not loaded; run dbt build or dbt seed") }}
        {%- endif -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set filtered = ' where ' ~ where if where else '' -%}
    {%- set rows = run_query('select ' ~ column ~ ' from ' ~ relation ~ filtered ~ ' order by ' ~ column) -%}
    {{ return(rows.columns[0].values() | list) }}
{% endmacro %}


{#- Stop the build when a list and what implements it disagree, naming what is missing on each side. -#}
{% macro assert_same_list(listed, implemented, list_name, implementation_name) %}
    {%- if not execute or not listed -%}{{ return('') }}{%- endif -%}
    {%- set unimplemented = listed | reject('in', implemented) | list -%}
    {%- set unlisted = implemented | reject('in', listed) | list -%}
    {%- if unimplemented or unlisted -%}
        {{ exceptions.raise_compiler_error(
            (("in " ~ list_name ~ " but not in " ~ implementation_name ~ ": " ~ unimplemented | join(', ') ~ ". ")
                if unimplemented else "")
            ~ (("in " ~ implementation_name ~ " but not in " ~ list_name ~ ": " ~ unlisted | join(', ') ~ ". ")
                if unlisted else "")
            ~ "Add or remove it in both places."
        ) }}
    {%- endif -%}
{% endmacro %}
