{#- Fails on rows whose trimmed value does not match the regular expression `pattern` whole. `words` name
    what the pattern means, for the report. -#}
{% test matches_pattern(model, column_name, pattern, words=none) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ jobmetrics.regex_full_match('trim(' ~ column_name ~ ')', pattern) }}

{% endtest %}
