{#-
  Incremental event marts (fct_scans, scans_daily, engagement_daily). A build adds, for each tenant, only
  the days after the last day the table holds for that tenant (its watermark). It recomputes a tenant's rows
  whole instead whenever adding would not give what a full build gives:
    - on --full-refresh, or when the table is new or empty (all tenants);
    - when the tenant's as_of_date is earlier than its watermark, or the tenant is new;
    - when any of the tenant's input rows dated on or before its watermark was added, changed or removed
      since the last build (each input's row count and sum of row hashes up to the watermark, kept per
      tenant in audit.incremental_state, must match).
  Other tenants' rows stay as they are.
  The pre-hook deletes what will be recomputed, the model selects it, the post-hook records the
  inputs' fingerprint at the new watermark.
-#}

{#- What each event mart's past rows depend on: relation, date column, and the columns hashed. -#}
{% macro event_mart_inputs(name) %}
    {%- set needs = {
        'fct_scans': ['period', 'scans', 'users', 'spans'],
        'scans_daily': ['period', 'scans', 'users', 'spans'],
        'engagement_daily': ['period', 'scans'],
    }[name] -%}
    {%- set inputs = [] -%}
    {%- if 'period' in needs -%}
        {%- do inputs.append({'relation': ref('int_reporting_period'), 'date': 'first_month',
            'columns': ['first_month']}) -%}
    {%- endif -%}
    {%- if 'scans' in needs -%}
        {%- do inputs.append({'relation': ref('int_scans'), 'date': 'scan_date',
            'columns': ['scan_id', 'user_id', 'scanned_at', 'job_id', 'match_rate']}) -%}
    {%- endif -%}
    {%- if 'users' in needs -%}
        {%- do inputs.append({'relation': ref('int_users'), 'date': 'signup_date',
            'columns': ['user_id', 'signup_date', 'acquisition_channel', 'segment']}) -%}
    {%- endif -%}
    {%- if 'spans' in needs -%}
        {#- a span's end only matters up to the day after the watermark -#}
        {%- do inputs.append({'relation': ref('int_paid_spans'), 'date': 'start_date',
            'columns': ['user_id', 'start_date', "least(coalesce(end_date, cast('9999-12-31' as date)), {after})"]}) -%}
    {%- endif -%}
    {{ return(inputs) }}
{% endmacro %}


{% macro incremental_state_relation() %}
    {{ return(api.Relation.create(database=target.database, schema='audit', identifier='incremental_state')) }}
{% endmacro %}


{#-
  on-run-start: the table of fingerprints exists before any model runs. Created by the event marts'
  own post-hooks, two of them running at once on a new warehouse conflicted ("Catalog write-write
  conflict on create with audit").
-#}
{% macro create_incremental_state() %}
    {{ return(adapter.dispatch('create_incremental_state', 'jobmetrics')()) }}
{% endmacro %}

{#- Spark always recomputes the event marts whole, so it keeps no fingerprints. -#}
{% macro spark__create_incremental_state() %}{% endmacro %}

{% macro default__create_incremental_state() %}
    {%- set state = jobmetrics.incremental_state_relation() -%}
    create schema if not exists {{ state.schema }};
    create table if not exists {{ state }} (
        model varchar(200), tenant_id varchar(200), watermark varchar(20), fingerprint varchar(2000)
    )
{% endmacro %}


{%- macro sql_text(value) -%}'{{ value | string | replace("'", "''") }}'{%- endmacro -%}


{#- tenant -> value, from a query's first two columns. -#}
{% macro per_tenant(sql) %}
    {%- set found = {} -%}
    {%- for row in run_query(sql).rows -%}
        {%- do found.update({row[0] | string: row[1] | string if row[1] is not none else none}) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}


{#- Each tenant's watermark (its last day in the table), as text. -#}
{% macro event_mart_watermarks(date_column) %}
    {{ return(jobmetrics.per_tenant(
        "select tenant_id, cast(max(" ~ date_column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this
        ~ " group by tenant_id")) }}
{% endmacro %}


{#- Per tenant, one text: each input's row count and hash sum up to (and including) the tenant's watermark. -#}
{% macro event_mart_fingerprints(name, watermarks) %}
    {#- an empty mart (a company with no scans yet) has no watermark and so nothing to fingerprint -#}
    {%- if not watermarks -%}{{ return({}) }}{%- endif -%}
    {%- set text = dbt.type_string() -%}
    {%- set marks = [] -%}
    {%- for tenant, day in watermarks.items() -%}
        {%- do marks.append("select " ~ jobmetrics.sql_text(tenant) ~ " as tenant_id, cast('" ~ day
            ~ "' as date) as watermark") -%}
    {%- endfor -%}
    {%- set after = "cast(" ~ dbt.dateadd('day', 1, 'marks.watermark') ~ " as date)" -%}
    {%- set fingerprints = {} -%}
    {%- for tenant in watermarks -%}{%- do fingerprints.update({tenant: []}) -%}{%- endfor -%}
    {%- for input in jobmetrics.event_mart_inputs(name) -%}
        {%- set columns = input.columns | map('replace', '{after}', after) | list -%}
        {%- set found = jobmetrics.per_tenant(
            "select marks.tenant_id, cast(count(*) as " ~ text ~ ") || ':' || cast(coalesce(sum("
            ~ jobmetrics.row_hash(columns) ~ "), 0) as " ~ text ~ ") from (" ~ marks | join(' union all ')
            ~ ") as marks inner join " ~ input.relation ~ " as input on input.tenant_id = marks.tenant_id"
            ~ " and input." ~ input.date ~ " <= marks.watermark group by marks.tenant_id") -%}
        {%- for tenant in watermarks -%}
            {%- do fingerprints[tenant].append(found.get(tenant, '0:0')) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set joined = {} -%}
    {%- for tenant, parts in fingerprints.items() -%}{%- do joined.update({tenant: parts | join('|')}) -%}{%- endfor -%}
    {{ return(joined) }}
{% endmacro %}


{#- Per tenant, the first date to (re)compute as a date string, or none to compute that tenant whole; or none
    instead of the whole dict, to compute the table whole. -#}
{% macro event_mart_cutoff(date_column) %}
    {{ return(adapter.dispatch('event_mart_cutoff', 'jobmetrics')(date_column)) }}
{% endmacro %}

{#- Without Delta Lake a Spark table cannot delete some of its rows: every build recomputes it whole. -#}
{% macro spark__event_mart_cutoff(date_column) %}{{ return(none) }}{% endmacro %}

{% macro default__event_mart_cutoff(date_column) %}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set watermarks = jobmetrics.event_mart_watermarks(date_column) -%}
    {%- if not watermarks -%}{{ return(none) }}{%- endif -%}
    {%- set state = jobmetrics.incremental_state_relation() -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is none -%}{{ return(none) }}{%- endif -%}
    {%- set as_of = jobmetrics.per_tenant(
        "select tenant_id, cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ ref('int_reporting_period')) -%}
    {%- set stored = jobmetrics.per_tenant(
        "select tenant_id, watermark || '@' || fingerprint from " ~ state ~ " where model = '" ~ this.identifier ~ "'") -%}
    {%- set current = jobmetrics.event_mart_fingerprints(this.identifier, watermarks) -%}
    {%- set cutoffs = {} -%}
    {%- for tenant, as_of_date in as_of.items() -%}
        {%- set watermark = watermarks.get(tenant) -%}
        {%- if watermark is none or as_of_date is none or as_of_date < watermark
            or stored.get(tenant) != watermark ~ '@' ~ current[tenant] -%}
            {%- do cutoffs.update({tenant: none}) -%}
        {%- else -%}
            {%- set next_day = modules.datetime.date.fromisoformat(watermark) + modules.datetime.timedelta(days=1) -%}
            {%- do cutoffs.update({tenant: next_day.isoformat()}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if cutoffs.values() | select | list | length == 0 -%}{{ return(none) }}{%- endif -%}
    {{ return(cutoffs) }}
{% endmacro %}


{#- The filter that keeps the rows from each tenant's cutoff on (days_before earlier, for windows that look
    back), every row of a tenant computed whole or not listed (gone from the inputs), or nothing when the
    table is computed whole. The one form every event mart and its pre-hook use. -#}
{% macro from_cutoff(date_column, cutoffs, days_before=0) -%}
    {%- if cutoffs is not none -%}
        where case
            {%- for tenant, cutoff in cutoffs.items() %}
                {%- if cutoff is none %}
                    when tenant_id = {{ jobmetrics.sql_text(tenant) }} then true
                {%- else %}
                    {%- set first_day = "cast('" ~ cutoff ~ "' as date)" -%}
                    {%- if days_before -%}
                        {%- set first_day = "cast(" ~ dbt.dateadd('day', -days_before, first_day) ~ " as date)" -%}
                    {%- endif %}
                    when tenant_id = {{ jobmetrics.sql_text(tenant) }} then {{ date_column }} >= {{ first_day }}
                {%- endif %}
            {%- endfor %}
            else true
        end
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: remove the rows this build recomputes (all of them when it rebuilds). -#}
{% macro clear_event_mart(date_column) %}
    {{ return(adapter.dispatch('clear_event_mart', 'jobmetrics')(date_column)) }}
{% endmacro %}

{% macro spark__clear_event_mart(date_column) %}
    {%- if execute and is_incremental() %}truncate table {{ this }}{% endif -%}
{% endmacro %}

{% macro default__clear_event_mart(date_column) %}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    {%- set cutoffs = jobmetrics.event_mart_cutoff(date_column) -%}
    delete from {{ this }} {{ jobmetrics.from_cutoff(date_column, cutoffs) }}
{% endmacro %}


{#- Post-hook: record each tenant's inputs' fingerprint at its new watermark. -#}
{% macro remember_event_mart(date_column) %}
    {{ return(adapter.dispatch('remember_event_mart', 'jobmetrics')(date_column)) }}
{% endmacro %}

{#- Spark always recomputes the event marts whole, so there is nothing to remember. -#}
{% macro spark__remember_event_mart(date_column) %}{% endmacro %}

{% macro default__remember_event_mart(date_column) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = jobmetrics.incremental_state_relation() -%}
    {%- set watermarks = jobmetrics.event_mart_watermarks(date_column) -%}
    {%- set fingerprints = jobmetrics.event_mart_fingerprints(this.identifier, watermarks) -%}
    delete from {{ state }} where model = '{{ this.identifier }}'
    {%- for tenant, watermark in watermarks.items() %};
        insert into {{ state }} values (
            '{{ this.identifier }}', {{ jobmetrics.sql_text(tenant) }}, '{{ watermark }}',
            '{{ fingerprints[tenant] }}'
        )
    {%- endfor %}
{% endmacro %}
