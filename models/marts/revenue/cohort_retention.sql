with

months as (
    select * from {{ ref('int_months') }}
),

user_mrr as (
    select * from {{ ref('fct_mrr') }}
),

cohort_members as (
    select
        tenant_id,
        user_id,
        month as cohort_month
    from user_mrr
    where movement = 'new'
),

cohort_months as (
    select
        cohort_members.tenant_id,
        cohort_members.cohort_month,
        months.month,
        {{ dbt.datediff('cohort_members.cohort_month', 'months.month', 'month') }} as months_since_start,  -- noqa: LT05
        cohort_members.user_id
    from cohort_members
    inner join months
        on cohort_members.tenant_id = months.tenant_id and cohort_members.cohort_month <= months.month
),

activity as (
    select
        cohort_months.tenant_id,
        cohort_months.cohort_month,
        cohort_months.months_since_start,
        count(*) as cohort_customers,
        sum(case when user_mrr.mrr > 0 then 1 else 0 end) as retained_customers,
        coalesce(sum(user_mrr.mrr), 0) as cohort_mrr
    from cohort_months
    left join user_mrr
        on
            cohort_months.tenant_id = user_mrr.tenant_id
            and cohort_months.user_id = user_mrr.user_id
            and cohort_months.month = user_mrr.month
    group by cohort_months.tenant_id, cohort_months.cohort_month, cohort_months.months_since_start
),

final as (
    select
        tenant_id,
        cohort_month,
        cast(months_since_start as {{ dbt.type_bigint() }}) as months_since_start,
        cast(cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(retained_customers as {{ dbt.type_bigint() }}) as retained_customers,
        {{ jobmetrics.safe_divide('retained_customers', 'cohort_customers') }} as logo_retention_rate,
        {{ jobmetrics.round_to('cohort_mrr', 6) }} as cohort_mrr,
        {{ jobmetrics.safe_divide(
            'cohort_mrr',
            'first_value(cohort_mrr) over (partition by tenant_id, cohort_month order by months_since_start)'
        ) }} as revenue_retention_rate
    from activity
)

select * from final
