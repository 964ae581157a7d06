{#-
    True when two money totals differ by more than summation noise. Totals are sums of doubles, and
    the order of a parallel sum changes their last bits: at 10M users (MRR near $67M) two correct
    sums differ by up to about $0.0003, and sometimes by more than $0.001. The allowance is $0.001
    or one part in a billion of the larger total, whichever is larger: $0.001 up to $1M, $0.07 at
    $67M, always far below one missing subscription (tests/python/test_money_allowance.py).
-#}
{% macro money_differs(left, right) %}
    abs(({{ left }}) - ({{ right }}))
    > greatest(0.001, 0.000000001 * greatest(abs({{ left }}), abs({{ right }})))
{% endmacro %}


{#- Minor units (Stripe's amounts) per major unit of a currency (upper case): 1 for Stripe's zero-decimal
    currencies, else 100 (docs/metrics.md, Stripe MRR rule 4). -#}
{% macro minor_units_per_major(currency) -%}
    case
        when {{ currency }} in (
            'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'
        ) then 1
        else 100
    end
{%- endmacro %}


{#- A sum of amounts in minor units (whole numbers, exact in any order of summing) in major units, to 6 places. -#}
{% macro in_major_units(minor_sum, currency) -%}
    {{ jobmetrics.round_to(
        'cast(' ~ minor_sum ~ ' as ' ~ jobmetrics.type_double() ~ ') / ' ~ jobmetrics.minor_units_per_major(currency),
        6
    ) }}
{%- endmacro %}


{#- Months in one billing period of a Stripe price (rule 5): month 1, year 12, week 12/52, day 12/365. -#}
{% macro price_interval_months(interval, interval_count) -%}
    {#- in doubles: a decimal 12.0 / 52 keeps six places on Spark, and a weekly price would be off by 3 in a million -#}
    ({{ interval_count }} * case {{ interval }}
        when 'month' then cast(1 as {{ jobmetrics.type_double() }})
        when 'year' then cast(12 as {{ jobmetrics.type_double() }})
        when 'week' then cast(12 as {{ jobmetrics.type_double() }}) / 52
        when 'day' then cast(12 as {{ jobmetrics.type_double() }}) / 365
    end)
{%- endmacro %}


{#- The reporting currency (var reporting_currency, upper case) as a SQL literal. -#}
{% macro reporting_currency() -%}
    '{{ var('reporting_currency') | upper | trim }}'
{%- endmacro %}


{#- A 63-bit integer id for a text id (Stripe's), the same on every engine: the first 15 hex digits of its MD5. -#}
{% macro text_id_to_bigint(expression) %}
    {{ return(adapter.dispatch('text_id_to_bigint', 'jobmetrics')(expression)) }}
{% endmacro %}

{% macro default__text_id_to_bigint(expression) -%}
    cast(('0x' || substr(md5({{ expression }}), 1, 15)) as bigint)
{%- endmacro %}

{% macro postgres__text_id_to_bigint(expression) -%}
    cast(cast('x' || substr(md5({{ expression }}), 1, 15) as bit(60)) as bigint)
{%- endmacro %}

{% macro spark__text_id_to_bigint(expression) -%}
    cast(conv(substr(md5({{ expression }}), 1, 15), 16, 10) as bigint)
{%- endmacro %}


{#- The day's rate of a currency into the reporting currency (docs/metrics.md, rule 7), written once: join
    `rates` (int_fx_rate_spans) on rate_applies(...) and read fx_rate(...); null when no rate is known. -#}
{% macro rate_applies(rates, tenant_id, currency, day) -%}
    {{ tenant_id }} = {{ rates }}.tenant_id
    and {{ currency }} = {{ rates }}.currency
    and {{ day }} >= {{ rates }}.valid_from
    and ({{ rates }}.valid_until is null or {{ day }} < {{ rates }}.valid_until)
{%- endmacro %}

{% macro fx_rate(rates, currency) -%}
    case when {{ currency }} = {{ jobmetrics.reporting_currency() }} then 1 else {{ rates }}.rate end
{%- endmacro %}
