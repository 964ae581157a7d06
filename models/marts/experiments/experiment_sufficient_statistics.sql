with

experiments as (
    select * from {{ ref('stg_experiments') }}
),

user_metrics as (
    select * from {{ ref('int_experiment_user_metrics') }}
),

metric_names as (
    select 'conversion' as metric
    union all
    select 'scans_per_user' as metric
    union all
    select 'match_rate' as metric
),

per_user_values as (
    -- each metric's per-user value; match_rate is a ratio (its scans the denominator), scans_per_user has
    -- the scans before exposure as its CUPED covariate
    select
        tenant_id,
        experiment_id,
        variant,
        'conversion' as metric,
        cast(converted as {{ jobmetrics.type_double() }}) as value,
        cast(null as {{ jobmetrics.type_double() }}) as denominator,
        cast(null as {{ jobmetrics.type_double() }}) as covariate
    from user_metrics
    union all
    select
        tenant_id,
        experiment_id,
        variant,
        'scans_per_user' as metric,
        cast(scans as {{ jobmetrics.type_double() }}) as value,
        cast(null as {{ jobmetrics.type_double() }}) as denominator,
        cast(scans_before as {{ jobmetrics.type_double() }}) as covariate
    from user_metrics
    union all
    select
        tenant_id,
        experiment_id,
        variant,
        'match_rate' as metric,
        cast(match_rate_sum as {{ jobmetrics.type_double() }}) as value,
        cast(scans as {{ jobmetrics.type_double() }}) as denominator,
        cast(null as {{ jobmetrics.type_double() }}) as covariate
    from user_metrics
),

sums as (
    select
        tenant_id,
        experiment_id,
        variant,
        metric,
        count(*) as users,
        sum(value) as value_sum,
        sum(value * value) as value_sum_squares,
        sum(denominator) as denominator_sum,
        sum(denominator * denominator) as denominator_sum_squares,
        sum(value * denominator) as value_denominator_sum_products,
        sum(covariate) as covariate_sum,
        sum(covariate * covariate) as covariate_sum_squares,
        sum(value * covariate) as value_covariate_sum_products
    from per_user_values
    group by tenant_id, experiment_id, variant, metric
),

final as (
    -- every declared variant, with no users as zeros
    select
        experiments.tenant_id,
        experiments.experiment_id,
        experiments.variant,
        experiments.is_control,
        experiments.weight,
        metric_names.metric,
        coalesce(sums.users, 0) as users,
        coalesce(sums.value_sum, 0) as value_sum,
        coalesce(sums.value_sum_squares, 0) as value_sum_squares,
        case when metric_names.metric = 'match_rate' then coalesce(sums.denominator_sum, 0) end as denominator_sum,
        case
            when metric_names.metric = 'match_rate' then coalesce(sums.denominator_sum_squares, 0)
        end as denominator_sum_squares,
        case
            when metric_names.metric = 'match_rate' then coalesce(sums.value_denominator_sum_products, 0)
        end as value_denominator_sum_products,
        case when metric_names.metric = 'scans_per_user' then coalesce(sums.covariate_sum, 0) end as covariate_sum,
        case
            when metric_names.metric = 'scans_per_user' then coalesce(sums.covariate_sum_squares, 0)
        end as covariate_sum_squares,
        case
            when metric_names.metric = 'scans_per_user' then coalesce(sums.value_covariate_sum_products, 0)
        end as value_covariate_sum_products
    from experiments
    cross join metric_names
    left join sums
        on
            experiments.tenant_id = sums.tenant_id
            and experiments.experiment_id = sums.experiment_id
            and experiments.variant = sums.variant
            and metric_names.metric = sums.metric
)

select * from final
