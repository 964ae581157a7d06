{#-
  The one place the "active on day D" rule is written (docs/metrics.md, subscription_mrr): a
  subscription is active on D when date(started_at) <= D and (ended_at is empty or date(ended_at) > D).
  `day` is a date expression; `subscriptions` names the relation holding start_date and end_date.
-#}
{% macro is_active_on(day, subscriptions) %}
    ({{ day }} >= {{ subscriptions }}.start_date
    and ({{ subscriptions }}.end_date is null or {{ day }} < {{ subscriptions }}.end_date))
{% endmacro %}
