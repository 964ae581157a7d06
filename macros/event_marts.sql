{#-
  Incremental event marts (fct_scans, scans_daily, engagement_daily). A build adds only the days after
  the last day the table holds (its watermark). It rebuilds the whole table instead whenever adding
  would not give what a full build gives:
    - on --full-refresh, or when the table is new or empty;
    - when as_of_date is earlier than the watermark;
    - when any input row dated on or before the watermark was added, changed or removed since the
      last build (each input's row count and sum of row hashes up to the watermark, kept in
      audit.incremental_state, must match).
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


{% macro single_value(sql) %}
    {%- set result = run_query(sql) -%}
    {%- if result is none or result.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
    {{ return(result.rows[0][0]) }}
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
    create table if not exists {{ state }} (model varchar(200), watermark varchar(20), fingerprint varchar(2000))
{% endmacro %}


{#- One text per run: each input's row count and hash sum up to (and including) the given date. -#}
{% macro event_mart_fingerprint(name, up_to) %}
    {%- set day = "cast('" ~ up_to ~ "' as date)" -%}
    {%- set after = "cast(" ~ dbt.dateadd('day', 1, day) ~ " as date)" -%}
    {%- set parts = [] -%}
    {%- set text = dbt.type_string() -%}
    {%- for input in jobmetrics.event_mart_inputs(name) -%}
        {%- set columns = input.columns | map('replace', '{after}', after) | list -%}
        {%- do parts.append(
            "(select cast(count(*) as " ~ text ~ ") || ':' || cast(coalesce(sum(" ~ jobmetrics.row_hash(columns)
            ~ "), 0) as " ~ text ~ ") from " ~ input.relation ~ " where " ~ input.date ~ " <= " ~ day ~ ")"
        ) -%}
    {%- endfor -%}
    {{ return(jobmetrics.single_value("select " ~ parts | join(" || '|' || "))) }}
{% endmacro %}


{#- The first date to (re)compute, as a date string, or none to compute the whole table. -#}
{% macro event_mart_cutoff(date_column) %}
    {{ return(adapter.dispatch('event_mart_cutoff', 'jobmetrics')(date_column)) }}
{% endmacro %}

{#- Without Delta Lake a Spark table cannot delete some of its rows: every build recomputes it whole. -#}
{% macro spark__event_mart_cutoff(date_column) %}{{ return(none) }}{% endmacro %}

{% macro default__event_mart_cutoff(date_column) %}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set watermark = jobmetrics.single_value(
        "select cast(max(" ~ date_column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this) -%}
    {%- if watermark is none -%}{{ return(none) }}{%- endif -%}
    {%- set as_of = jobmetrics.single_value(
        "select cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ ref('int_reporting_period')) -%}
    {%- if as_of is none or as_of < watermark -%}{{ return(none) }}{%- endif -%}
    {%- set state = jobmetrics.incremental_state_relation() -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is none -%}{{ return(none) }}{%- endif -%}
    {%- set stored = jobmetrics.single_value(
        "select fingerprint from " ~ state ~ " where model = '" ~ this.identifier ~ "' and watermark = '"
        ~ watermark ~ "'") -%}
    {%- if stored is none or stored != jobmetrics.event_mart_fingerprint(this.identifier, watermark) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(jobmetrics.single_value(
        "select cast(cast(" ~ dbt.dateadd('day', 1, "cast('" ~ watermark ~ "' as date)") ~ " as date) as "
        ~ dbt.type_string() ~ ")")) }}
{% endmacro %}


{#- The filter that keeps the rows from the cutoff on (days_before earlier, for windows that look back), or
    nothing when the table is computed whole. The one form every event mart and its pre-hook use. -#}
{% macro from_cutoff(date_column, cutoff, days_before=0) -%}
    {%- if cutoff is not none -%}
        {%- set first_day = "cast('" ~ cutoff ~ "' as date)" -%}
        {%- if days_before -%}
            {%- set first_day = "cast(" ~ dbt.dateadd('day', -days_before, first_day) ~ " as date)" -%}
        {%- endif -%}
        where {{ date_column }} >= {{ first_day }}
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
    {%- set cutoff = jobmetrics.event_mart_cutoff(date_column) -%}
    delete from {{ this }} {{ jobmetrics.from_cutoff(date_column, cutoff) }}
{% endmacro %}


{#- Post-hook: record the inputs' fingerprint at the new watermark. -#}
{% macro remember_event_mart(date_column) %}
    {{ return(adapter.dispatch('remember_event_mart', 'jobmetrics')(date_column)) }}
{% endmacro %}

{#- Spark always recomputes the event marts whole, so there is nothing to remember. -#}
{% macro spark__remember_event_mart(date_column) %}{% endmacro %}

{% macro default__remember_event_mart(date_column) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = jobmetrics.incremental_state_relation() -%}
    {%- set watermark = jobmetrics.single_value(
        "select cast(max(" ~ date_column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this) -%}
    {%- set fingerprint = jobmetrics.event_mart_fingerprint(this.identifier, watermark) if watermark else '' -%}
    delete from {{ state }} where model = '{{ this.identifier }}';
    insert into {{ state }} values ('{{ this.identifier }}', '{{ watermark or '' }}', '{{ fingerprint }}')
{% endmacro %}
