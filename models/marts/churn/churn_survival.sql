{#- the two-sided 95% normal quantile, unrounded as lifelines uses it -#}
{%- set z_95 = 1.959963984540054 -%}

with

spells as (
    select * from {{ ref('int_churn_spells') }}
),

months as (
    select * from {{ ref('int_months') }}
),

grouped as (
    select
        tenant_id,
        'overall' as grouped_by,
        'all' as group_value,
        months_paid,
        is_churned
    from spells
    union all
    select
        tenant_id,
        'segment' as grouped_by,
        segment as group_value,
        months_paid,
        is_churned
    from spells
    union all
    select
        tenant_id,
        'acquisition_channel' as grouped_by,
        acquisition_channel as group_value,
        months_paid,
        is_churned
    from spells
    union all
    select
        tenant_id,
        'plan' as grouped_by,
        plan_id as group_value,
        months_paid,
        is_churned
    from spells
),

outcomes as (
    select
        tenant_id,
        grouped_by,
        group_value,
        months_paid,
        count(*) as spells,
        sum(case when is_churned then 1 else 0 end) as churned
    from grouped
    group by tenant_id, grouped_by, group_value, months_paid
),

month_numbers as (
    -- 0 through the number of months in the period: no spell pays for more
    select
        tenant_id,
        cast(row_number() over (partition by tenant_id order by month) as {{ dbt.type_bigint() }}) as months_since_start
    from months
    union all
    select distinct
        tenant_id,
        cast(0 as {{ dbt.type_bigint() }}) as months_since_start
    from months
),

group_spans as (
    select
        tenant_id,
        grouped_by,
        group_value,
        max(months_paid) as longest
    from outcomes
    group by tenant_id, grouped_by, group_value
),

counts as (
    -- at risk after t whole months: spells that paid at least t; churned and censored: exactly t
    select
        group_spans.tenant_id,
        group_spans.grouped_by,
        group_spans.group_value,
        month_numbers.months_since_start,
        cast(
            sum(case when outcomes.months_paid >= month_numbers.months_since_start then outcomes.spells else 0 end)
            as {{ dbt.type_bigint() }}
        ) as at_risk,
        cast(
            sum(case when outcomes.months_paid = month_numbers.months_since_start then outcomes.churned else 0 end)
            as {{ dbt.type_bigint() }}
        ) as churned,
        cast(
            sum(
                case
                    when outcomes.months_paid = month_numbers.months_since_start
                        then outcomes.spells - outcomes.churned
                    else 0
                end
            ) as {{ dbt.type_bigint() }}
        ) as censored
    from group_spans
    inner join month_numbers
        on
            group_spans.tenant_id = month_numbers.tenant_id
            and group_spans.longest >= month_numbers.months_since_start
    inner join outcomes
        on
            group_spans.tenant_id = outcomes.tenant_id
            and group_spans.grouped_by = outcomes.grouped_by
            and group_spans.group_value = outcomes.group_value
    group by group_spans.tenant_id, group_spans.grouped_by, group_spans.group_value, month_numbers.months_since_start
),

running as (
    -- the product of (1 - churned / at_risk) as a sum of logs; a month where every spell at risk churned
    -- makes the product 0 from then on
    select
        tenant_id,
        grouped_by,
        group_value,
        months_since_start,
        at_risk,
        churned,
        censored,
        sum(case when churned = at_risk and churned > 0 then 1 else 0 end) over (
            partition by tenant_id, grouped_by, group_value order by months_since_start
            rows between unbounded preceding and current row
        ) as months_all_churned,
        sum(
            case when churned < at_risk then ln(1 - {{ jobmetrics.safe_divide('churned', 'at_risk') }}) else 0 end
        ) over (
            partition by tenant_id, grouped_by, group_value order by months_since_start
            rows between unbounded preceding and current row
        ) as log_survival,
        -- Greenwood's sum
        sum(
            case
                when churned < at_risk
                    then {{ jobmetrics.safe_divide('churned', 'at_risk * (at_risk - churned)') }}
                else 0
            end
        ) over (
            partition by tenant_id, grouped_by, group_value order by months_since_start
            rows between unbounded preceding and current row
        ) as greenwood_sum
    from counts
),

final as (
    -- the interval on the log(-log) scale (Kalbfleisch and Prentice), as lifelines computes it: it stays
    -- within 0 and 1; 1 to 1 before the first churn
    select
        tenant_id,
        grouped_by,
        group_value,
        months_since_start,
        at_risk,
        churned,
        censored,
        case when months_all_churned > 0 then 0 else exp(log_survival) end as survival,
        case
            when months_all_churned > 0 then null
            when log_survival = 0 then 1
            else exp(-exp(ln(-log_survival) - {{ z_95 }} * sqrt(greenwood_sum) / log_survival))
        end as ci_low,
        case
            when months_all_churned > 0 then null
            when log_survival = 0 then 1
            else exp(-exp(ln(-log_survival) + {{ z_95 }} * sqrt(greenwood_sum) / log_survival))
        end as ci_high
    from running
)

select * from final
