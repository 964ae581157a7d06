{#- Fails once per column whose values leave their accepted range (`ranges`: column -> min_value, max_value,
    inclusive, as dbt_utils' accepted_range) or list (`values`: column -> the values, compared as text, as dbt's
    accepted_values), naming the column, the rule and its number of rows. Null passes both. The columns of one
    model in one node and one pass over the table (a test per column paid dbt's cost per node each). -#}
{% test accepted_columns(model, ranges={}, values={}) %}
{%- set rules = [] -%}
{%- for column, bounds in ranges.items() -%}
    {%- set inclusive = bounds.get('inclusive', true) -%}
    {%- set low, high = bounds.get('min_value'), bounds.get('max_value') -%}
    {%- set outside = [] -%}
    {%- if low is not none -%}{%- do outside.append(column ~ (' < ' if inclusive else ' <= ') ~ low) -%}{%- endif -%}
    {%- if high is not none -%}{%- do outside.append(column ~ (' > ' if inclusive else ' >= ') ~ high) -%}{%- endif -%}
    {%- set words = 'outside ' ~ ('[' if inclusive else '(') ~ (low if low is not none else '-inf') ~ ', '
        ~ (high if high is not none else 'inf') ~ (']' if inclusive else ')') -%}
    {%- do rules.append((column, words, outside | join(' or '))) -%}
{%- endfor -%}
{%- for column, listed in values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in listed -%}{%- do quoted.append("'" ~ value ~ "'") -%}{%- endfor -%}
    {%- do rules.append((column, 'not one of ' ~ listed | join(', '), column ~ ' not in (' ~ quoted | join(', ') ~ ')')) -%}
{%- endfor %}

with

counted as (
    select
        {%- for column, words, broken in rules %}
            sum(case when {{ column }} is not null and ({{ broken }}) then 1 else 0 end) as broken_{{ loop.index }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column, words, broken in rules %}
    select
        cast('{{ column }}' as {{ dbt.type_string() }}) as broken_column,
        cast('{{ words }}' as {{ dbt.type_string() }}) as rule,
        broken_{{ loop.index }} as broken_rows
    from counted
    where broken_{{ loop.index }} > 0
    {{ 'union all' if not loop.last }}
{%- endfor %}

{% endtest %}
