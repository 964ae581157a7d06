{#- Fails on rows whose trimmed value does not match the regular expression `pattern` whole. `words` name
    what the pattern means, for the report. Passes on a table without the column (one it may leave out). -#}
{% test matches_pattern(model, column_name, pattern, words=none) %}
{%- if not jobmetrics.has_column(model, column_name) %}

select 1 as left_out where 1 = 0

{%- else %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ jobmetrics.regex_full_match('trim(' ~ column_name ~ ')', pattern) }}

{%- endif %}
{% endtest %}
