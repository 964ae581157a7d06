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
