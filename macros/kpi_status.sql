{#- A KPI's status against its row of seeds/kpi_thresholds.csv (`thresholds`: direction, warning, critical):
    critical beyond critical (checked first), warning beyond warning, ok otherwise, no_data without a value.
    Beyond is below for higher_is_better and above for lower_is_better; equal to a threshold is not beyond. -#}
{% macro kpi_status(value, thresholds) -%}
    case
        when {{ value }} is null then 'no_data'
        when {{ thresholds }}.direction = 'higher_is_better' and {{ value }} < {{ thresholds }}.critical then 'critical'
        when {{ thresholds }}.direction = 'lower_is_better' and {{ value }} > {{ thresholds }}.critical then 'critical'
        when {{ thresholds }}.direction = 'higher_is_better' and {{ value }} < {{ thresholds }}.warning then 'warning'
        when {{ thresholds }}.direction = 'lower_is_better' and {{ value }} > {{ thresholds }}.warning then 'warning'
        else 'ok'
    end
{%- endmacro %}
