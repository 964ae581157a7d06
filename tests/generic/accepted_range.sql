{#- Fails on rows whose column lies outside [min_value, max_value]; either bound may be left out. Passes on a
    table without the column (one it may leave out). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- if not jobmetrics.has_column(model, column_name) %}

select 1 as left_out where 1 = 0

{%- else %}

select *
from {{ model }}
where
    {{ column_name }} is not null
    and (
        1 = 0
        {%- if min_value is not none %}
            or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
            or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
    )

{%- endif %}
{% endtest %}
