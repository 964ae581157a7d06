{#-
  Fails on rows where the model's column and the same-keyed column of another relation differ by
  more than the tolerance, or where a key is on one side only.
-#}
{% test equal_within(model, column_name, to, to_column, key, to_key=none, tolerance=0.005) %}

with

this_side as (
    select
        {{ key }} as join_key,
        {{ column_name }} as this_value
    from {{ model }}
),

other_side as (
    select
        {{ to_key or key }} as join_key,
        {{ to_column }} as other_value
    from {{ to }}
),

compared as (
    select
        coalesce(this_side.join_key, other_side.join_key) as join_key,
        this_side.this_value,
        other_side.other_value
    from this_side
    full outer join other_side
        on this_side.join_key = other_side.join_key
)

select *
from compared
where
    this_value is null and other_value is not null
    or this_value is not null and other_value is null
    or abs(this_value - other_value) > {{ tolerance }}

{% endtest %}
