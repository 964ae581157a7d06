{#-
  Guards for the raw data contract. The sources YAML lists the contract's columns; a staging model
  calls assert_raw_columns first so a missing column fails with the table and column named, and the
  on-run-end hook turns failed staging tests into one line per broken rule with the offending values.
-#}

{% macro assert_raw_columns(source_name, table_name) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set actual = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {#- An absent table fails on its own with a clearer message than ours. -#}
    {%- if actual | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set contract = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set missing = [] -%}
    {%- for column in contract.columns.keys() if column | lower not in actual -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Raw data contract broken in " ~ relation ~ " (" ~ table_name ~ ".csv): missing column(s) "
            ~ missing | join(', ') ~ "; found " ~ actual | join(', ') ~ ". Fix the file's header and run again."
        ) }}
    {%- endif -%}
{% endmacro %}


{% macro describe_contract_rule(test_node) %}
    {%- set name = test_node.test_metadata.name -%}
    {%- set kwargs = test_node.test_metadata.kwargs.get('arguments', test_node.test_metadata.kwargs) -%}
    {%- if name == 'unique' -%}duplicate values
    {%- elif name == 'not_null' -%}empty values
    {%- elif name == 'accepted_values' -%}values outside {{ kwargs['values'] | join(', ') }}
    {%- elif name == 'relationships' -%}values with no match in {{ kwargs['to'] | replace("ref('", '') | replace("')", '') }}.{{ kwargs['field'] }}
    {%- elif name == 'accepted_range' -%}values outside [{{ kwargs.get('min_value', '-inf') }}, {{ kwargs.get('max_value', 'inf') }}]
    {%- elif name == 'expression_is_true' -%}rows breaking "{{ kwargs['expression'] }}"
    {%- elif name == 'unique_combination' -%}duplicate combinations of {{ kwargs['combination'] | join(', ') }}
    {%- else -%}rows failing {{ name }}
    {%- endif -%}
{% endmacro %}


{#- Offending values of a failed test, read from its stored failures (a few, comma-separated). -#}
{% macro sample_failures(test_node, limit=5) %}
    {%- set rows = run_query('select * from ' ~ test_node.relation_name ~ ' limit ' ~ limit) -%}
    {%- set column = test_node.column_name -%}
    {%- set samples = [] -%}
    {%- for row in rows -%}
        {%- set picked = none -%}
        {%- for candidate in [column, 'unique_field', 'value_field', 'from_field'] if candidate -%}
            {%- if picked is none and candidate in rows.column_names -%}
                {%- set picked = row[candidate] -%}
                {%- do samples.append(picked | string) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if picked is none -%}
            {%- set pairs = [] -%}
            {%- for name in rows.column_names[:4] -%}{%- do pairs.append(name ~ '=' ~ row[name]) -%}{%- endfor -%}
            {%- do samples.append('(' ~ pairs | join(' ') ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(samples | join(', ')) }}
{% endmacro %}


{% macro report_raw_contract_failures(results) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- for result in results
        if result.node.resource_type == 'test' and result.status in ('fail', 'error')
        and result.node.attached_node in graph.nodes
        and graph.nodes[result.node.attached_node].fqn[1] == 'staging' -%}
        {%- set test_node = result.node -%}
        {%- set model = graph.nodes[test_node.attached_node] -%}
        {%- set raw_tables = model.sources | map('last') | list -%}
        {%- set where = raw_tables | join(', ') ~ (('.' ~ test_node.column_name) if test_node.column_name else '') -%}
        {%- if result.status == 'fail' and test_node.relation_name -%}
            {%- set offending = jobmetrics.sample_failures(test_node) -%}
            {{ log("Raw data contract broken in raw." ~ where ~ ": " ~ jobmetrics.describe_contract_rule(test_node)
                ~ " (" ~ result.failures ~ " failing): " ~ offending ~ ". Fix " ~ raw_tables | join(', ')
                ~ " and run again.", info=true) }}
        {%- else -%}
            {{ log("Raw data contract check " ~ test_node.name ~ " on raw." ~ where ~ " could not run: "
                ~ result.message, info=true) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
