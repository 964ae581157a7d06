{#- A model's column rules in one node: fails once per rule broken, naming the column(s), the rule and its number of
    rows. `unique`: the columns that together identify a row (rows sharing their combination with another row,
    nulls compared as equal, as unique_combination); `not_null`: columns that must hold a value (as
    not_null_columns); `ranges`: column -> min_value, max_value, inclusive (as dbt_utils' accepted_range);
    `values`: column -> the values, compared as text (as dbt's accepted_values). Null passes a range and a list.
    The rules read the table in one pass (the key in one more): a test per rule paid dbt's cost per node each. -#}
{% test accepted_columns(model, unique=[], not_null=[], ranges={}, values={}) %}
{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append((column, 'null', column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, bounds in ranges.items() -%}
    {%- set inclusive = bounds.get('inclusive', true) -%}
    {%- set low, high = bounds.get('min_value'), bounds.get('max_value') -%}
    {%- set outside = [] -%}
    {%- if low is not none -%}{%- do outside.append(column ~ (' < ' if inclusive else ' <= ') ~ low) -%}{%- endif -%}
    {%- if high is not none -%}{%- do outside.append(column ~ (' > ' if inclusive else ' >= ') ~ high) -%}{%- endif -%}
    {%- set words = 'outside ' ~ ('[' if inclusive else '(') ~ (low if low is not none else '-inf') ~ ', '
        ~ (high if high is not none else 'inf') ~ (']' if inclusive else ')') -%}
    {%- do rules.append((column, words, column ~ ' is not null and (' ~ outside | join(' or ') ~ ')')) -%}
{%- endfor -%}
{%- for column, listed in values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in listed -%}{%- do quoted.append("'" ~ value ~ "'") -%}{%- endfor -%}
    {%- do rules.append((column, 'not one of ' ~ listed | join(', '),
        column ~ ' is not null and ' ~ column ~ ' not in (' ~ quoted | join(', ') ~ ')')) -%}
{%- endfor %}
{%- set text = dbt.type_string() %}

with

{% if unique -%}
repeated as (
    select count(*) as n_rows
    from {{ model }}
    group by {{ unique | join(', ') }}
    having count(*) > 1
),

{% endif -%}
{% if rules -%}
counted as (
    select
        {%- for column, words, broken in rules %}
            sum(case when {{ broken }} then 1 else 0 end) as broken_{{ loop.index }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

{% endif -%}
broken as (
    {%- if unique %}
        select
            cast('{{ unique | join(", ") }}' as {{ text }}) as broken_column,
            cast('not unique' as {{ text }}) as rule,
            sum(n_rows) as broken_rows
        from repeated
        {{- ' union all' if rules }}
    {%- endif %}
    {%- for column, words, broken in rules %}
        select
            cast('{{ column }}' as {{ text }}) as broken_column,
            cast('{{ words }}' as {{ text }}) as rule,
            broken_{{ loop.index }} as broken_rows
        from counted
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from broken
where broken_rows > 0

{% endtest %}
