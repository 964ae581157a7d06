{#-
  The LTV family, written once (docs/metrics.md: ltv, ltv_to_cac, cac_payback_months) and used by
  channel_performance and kpi_monthly. Arguments are SQL expressions; gross_margin is the dbt var.
-#}

{% macro ltv(arpu, churn_rate) %}
    {{- jobmetrics.safe_divide('(' ~ arpu ~ ') * ' ~ var('gross_margin'), churn_rate) -}}
{% endmacro %}

{% macro ltv_to_cac(arpu, churn_rate, cac) %}
    {{- jobmetrics.safe_divide(ltv(arpu, churn_rate), cac) -}}
{% endmacro %}

{% macro cac_payback_months(cac, arpu) %}
    {{- jobmetrics.safe_divide(cac, '(' ~ arpu ~ ') * ' ~ var('gross_margin')) -}}
{% endmacro %}
