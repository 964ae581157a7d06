{#-
  Guards for the raw data contract. The sources YAML declares the contract's columns and rules; a staging
  model calls assert_raw_columns first so a missing column fails with the table and column named, and the
  on-run-end hook turns failed tests on the raw source into one line per broken rule with the offending values.
-#}

{#- The contract's columns missing from a raw table, as one sentence; '' when none is (or the table is absent,
    which fails on its own with a clearer message than ours). -#}
{% macro missing_raw_columns(source_name, table_name) %}
    {%- set relation = source(source_name, table_name) -%}
    {%- set actual = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if actual | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set contract = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set missing = [] -%}
    {%- for column in contract.columns.values()
        if column.name | lower not in actual and 'default' not in column.config.meta -%}
        {%- do missing.append(column.name) -%}
    {%- endfor -%}
    {%- if not missing -%}{{ return('') }}{%- endif -%}
    {{ return("Raw data contract broken in " ~ relation ~ ": missing column(s) " ~ missing | join(', ')
        ~ "; found " ~ actual | join(', ') ~ ". Fix the raw file or table and run again.") }}
{% endmacro %}


{% macro assert_raw_columns(source_name, table_name) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set missing = jobmetrics.missing_raw_columns(source_name, table_name) -%}
    {%- if missing -%}{{ exceptions.raise_compiler_error(missing) }}{%- endif -%}
{% endmacro %}


{% macro describe_contract_rule(test_node) %}
    {%- set name = test_node.test_metadata.name -%}
    {%- set kwargs = test_node.test_metadata.kwargs.get('arguments', test_node.test_metadata.kwargs) -%}
    {%- if name in ('unique', 'unique_within_tenant') -%}duplicate values
    {%- elif name in ('not_null', 'not_null_columns') -%}empty values
    {%- elif name in ('accepted_values', 'one_of') -%}values outside {{ kwargs['values'] | join(', ') }}
    {%- elif name in ('relationships', 'relationships_within_tenant', 'in_reference_list') -%}values with no match in {{ jobmetrics.relation_words(kwargs['to']) }}.{{ kwargs['field'] }}
    {%- elif name == 'matches_pattern' -%}values that are not {{ kwargs.get('words') or kwargs['pattern'] }}
    {%- elif name == 'accepted_range' -%}
        {%- set inclusive = kwargs.get('inclusive', true) -%}
        values outside {{ '[' if inclusive else '(' }}{{ kwargs.get('min_value', '-inf') }}, {{ kwargs.get('max_value', 'inf') }}{{ ']' if inclusive else ')' }}
    {%- elif name == 'finite' -%}values that are not finite numbers (NaN or infinity)
    {%- elif name == 'plausible_timestamp' -%}dates before {{ var('earliest_plausible_date') }} or more than {{ kwargs.get('future_days', var('future_tolerance_days')) }} days after the build
    {%- elif name == 'expression_is_true' -%}rows breaking "{{ kwargs['expression'] }}"
    {%- elif name in ('unique_combination', 'unique_combination_within_tenant') -%}duplicate combinations of {{ kwargs['combination'] | join(', ') }}
    {%- elif name == 'one_per_group_within_tenant' -%}not {{ kwargs.get('words') or kwargs['condition'] }}
    {%- elif name == 'one_value_per_group_within_tenant' -%}groups with more than one value ({{ kwargs.get('words') }})
    {%- elif name == 'json_key_in_within_tenant' -%}values whose key {{ var('stripe_user_id_key') }} names no {{ kwargs['field'] }} of {{ jobmetrics.relation_words(kwargs['to']) }}
    {%- elif name == 'relationships_combination_within_tenant' -%}combinations of {{ kwargs['combination'] | join(', ') }} with no match in {{ jobmetrics.relation_words(kwargs['to']) }}
    {%- else -%}rows failing {{ name }}
    {%- endif -%}
{% endmacro %}


{#- "ref('segments')" or "source('raw', 'raw_users')" as the table's name. -#}
{% macro relation_words(to) -%}
    {{ to.split(',')[-1] | replace("ref(", '') | replace("source(", '') | replace("'", '') | replace(")", '') | trim }}
{%- endmacro %}


{#- Offending values of a failed test, read from its stored failures (a few, comma-separated). -#}
{% macro sample_failures(test_node, limit=5) %}
    {%- set rows = run_query('select * from ' ~ test_node.relation_name ~ ' limit ' ~ limit) -%}
    {%- set value_columns = [test_node.column_name, 'unique_field', 'value_field', 'from_field']
        | select | select('in', rows.column_names) | list -%}
    {%- set samples = [] -%}
    {%- for row in rows -%}
        {%- if value_columns -%}
            {%- do samples.append(row[value_columns[0]] | string) -%}
        {%- else -%}
            {%- set kwargs = test_node.test_metadata.kwargs -%}
            {%- set expression = kwargs.get('arguments', kwargs).get('expression', '') -%}
            {#- a row-level rule: its row's id and the columns its expression mentions; a rule over groups of
                rows: every column of the group it reports -#}
            {%- set names = rows.column_names | reject('equalto', 'tenant_id') | list -%}
            {%- set pairs = [] -%}
            {%- for name in names -%}
                {%- if not expression or name == names[0] or name in expression -%}
                    {%- do pairs.append(name ~ '=' ~ row[name]) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do samples.append('(' ~ pairs | join(' ') ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(samples | join(', ')) }}
{% endmacro %}


{% macro report_raw_contract_failures(results) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {#- A test on a column the table lacks errors; say first which columns are missing. -#}
    {%- set errored = results | selectattr('status', 'equalto', 'error') | map(attribute='node')
        | selectattr('resource_type', 'equalto', 'test') | map(attribute='sources') | sum(start=[])
        | map('join', '.') | unique | list -%}
    {%- for source_table in errored -%}
        {%- set source_name, table_name = source_table.split('.') -%}
        {%- set missing = jobmetrics.missing_raw_columns(source_name, table_name) -%}
        {%- if missing -%}{{ log(missing, info=true) }}{%- endif -%}
    {%- endfor -%}
    {#- a test that explains itself (meta `explain`): its words and the rows it found -#}
    {%- for result in results
        if result.node.resource_type == 'test' and result.status == 'fail' and result.node.config.meta.get('explain')
        and result.node.relation_name -%}
        {%- set rows = run_query('select * from ' ~ result.node.relation_name ~ ' limit 5') -%}
        {%- set samples = [] -%}
        {%- for row in rows -%}
            {%- set pairs = [] -%}
            {%- for name in rows.column_names if name != 'tenant_id' -%}
                {%- do pairs.append(name ~ '=' ~ row[name]) -%}
            {%- endfor -%}
            {%- do samples.append('(' ~ pairs | join(' ') ~ ')') -%}
        {%- endfor -%}
        {{ log(result.node.config.meta['explain'] ~ ": " ~ samples | join(', ')
            ~ (" ..." if result.failures > 5 else "") ~ ".", info=true) }}
    {%- endfor -%}
    {%- for result in results
        if result.node.resource_type == 'test' and result.status in ('fail', 'error')
        and result.node.sources | length > 0 and result.node.fqn[1] == 'staging' -%}
        {%- set test_node = result.node -%}
        {%- set tested = test_node.test_metadata.kwargs.get('model', '') -%}
        {#- the tested table, not the one a relationship points at (invoice is in invoice_line_item's name) -#}
        {%- set raw_tables = [] -%}
        {%- for name in test_node.sources | map('last') if ("'" ~ name ~ "'") in tested -%}
            {%- do raw_tables.append(name) -%}
        {%- endfor -%}
        {%- set column = test_node.column_name or test_node.config.meta.get('column') -%}
        {%- set where = raw_tables | join(', ') ~ (('.' ~ column) if column else '') -%}
        {%- if result.status == 'fail' and test_node.relation_name
            and test_node.test_metadata.name == 'not_null_columns' -%}
            {#- one row per column holding empty values: one line each -#}
            {%- for row in run_query('select null_column, null_rows from ' ~ test_node.relation_name) -%}
                {{ log("Raw data contract broken: " ~ where ~ "." ~ row[0] ~ " has "
                    ~ jobmetrics.describe_contract_rule(test_node) ~ " (" ~ row[1] ~ " found). Fix "
                    ~ raw_tables | join(', ') ~ " (the raw file, or the table in your raw schema) and run again.",
                    info=true) }}
            {%- endfor -%}
        {%- elif result.status == 'fail' and test_node.relation_name -%}
            {%- set offending = jobmetrics.sample_failures(test_node) -%}
            {{ log("Raw data contract broken: " ~ where ~ " has " ~ jobmetrics.describe_contract_rule(test_node)
                ~ ": " ~ offending ~ (" ..." if result.failures > 5 else "") ~ " (" ~ result.failures ~ " found)."
                ~ " Fix " ~ raw_tables | join(', ') ~ " (the raw file, or the table in your raw schema)"
                ~ " and run again.", info=true) }}
        {%- else -%}
            {{ log("Raw data contract check " ~ test_node.name ~ " on " ~ where ~ " could not run: "
                ~ result.message, info=true) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{#- The raw tables the contract marks optional, created empty (tenant_id and their columns) where they are
    missing: a company without experiments has neither file, and another tool's raw schema need not have them. -#}
{% macro create_optional_raw_tables() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- for table in graph.sources.values()
        if table.source_name in ('raw', 'stripe') and table.config.meta.get('optional') -%}
        {%- set relation = source(table.source_name, table.name) -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {%- do adapter.create_schema(relation) -%}
            {%- set columns = ['tenant_id ' ~ dbt.type_string()] -%}
            {%- for column in table.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ jobmetrics.contract_type(column.data_type)) -%}
            {%- endfor -%}
            {%- do run_query(jobmetrics.create_empty_table(relation, columns)) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{#- A contract type (_sources.yml) as the engine writes it. -#}
{% macro contract_type(data_type) -%}
    {%- if data_type == 'varchar' -%}{{ dbt.type_string() }}
    {%- elif data_type == 'double' -%}{{ jobmetrics.type_double() }}
    {%- elif data_type == 'bigint' -%}{{ dbt.type_bigint() }}
    {%- elif data_type == 'timestamp' -%}{{ dbt.type_timestamp() }}
    {%- else -%}{{ data_type }}
    {%- endif -%}
{%- endmacro %}


{% macro create_empty_table(relation, columns) %}
    {{ return(adapter.dispatch('create_empty_table', 'jobmetrics')(relation, columns)) }}
{% endmacro %}

{% macro default__create_empty_table(relation, columns) -%}
    create table if not exists {{ relation }} ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__create_empty_table(relation, columns) -%}
    create table if not exists {{ relation }} ({{ columns | join(', ') }}) using parquet
{%- endmacro %}


{#- A contract column that a raw table may leave out (its meta gives a default): the column where the table has it,
    else the default as a literal. Files are loaded with every column; a table another tool loaded may lack it. -#}
{% macro raw_column_or_default(source_name, table_name, column_name) %}
    {%- if not execute -%}{{ return(column_name) }}{%- endif -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set actual = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if column_name in actual -%}{{ return(column_name) }}{%- endif -%}
    {%- set contract = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set column = contract.columns[column_name] -%}
    {{ return("'" ~ (column.config.meta.get('default') or column.meta.get('default')) ~ "'") }}
{% endmacro %}


{#- Whether a tested relation has the column (true when it cannot tell: a subquery). A test on a column the
    contract lets a table leave out (meta `default`) passes on a table without it. -#}
{% macro has_column(model, column_name) %}
    {%- if not execute or model is string -%}{{ return(true) }}{%- endif -%}
    {%- set names = adapter.get_columns_in_relation(model) | map(attribute='name') | map('lower') | list -%}
    {{ return(not names or column_name | lower in names) }}
{% endmacro %}
