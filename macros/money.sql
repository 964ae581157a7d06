{#-
    True when two money totals differ by more than summation noise. Totals are sums of doubles, and
    the order of a parallel sum changes their last bits: at 10M users (MRR near $67M) two correct
    sums differ by up to about $0.0003 and sometimes more than $0.001. The allowance is $0.001 or one
    part in a billion of the larger total, whichever is larger: a real mistake (one subscription,
    one cent) is far above both.
-#}
{% macro money_differs(left, right) %}
    abs(({{ left }}) - ({{ right }}))
    > greatest(0.001, 0.000000001 * greatest(abs({{ left }}), abs({{ right }})))
{% endmacro %}
