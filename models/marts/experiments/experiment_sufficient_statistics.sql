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

sums as (
    -- one pass over the per-user values for every metric's sums: match_rate is a ratio (its scans the
    -- denominator), scans_per_user has the scans before exposure as its CUPED covariate
    select
        tenant_id,
        experiment_id,
        variant,
        count(*) as users,
        sum(cast(converted as {{ jobmetrics.type_double() }})) as converted_sum,
        sum(cast(converted as {{ jobmetrics.type_double() }}) * converted) as converted_sum_squares,
        sum(cast(scans as {{ jobmetrics.type_double() }})) as scans_sum,
        sum(cast(scans as {{ jobmetrics.type_double() }}) * scans) as scans_sum_squares,
        sum(cast(match_rate_sum as {{ jobmetrics.type_double() }})) as match_rate_sum,
        sum(cast(match_rate_sum as {{ jobmetrics.type_double() }}) * match_rate_sum) as match_rate_sum_squares,
        sum(cast(match_rate_sum as {{ jobmetrics.type_double() }}) * scans) as match_rate_scans_sum_products,
        sum(cast(scans_before as {{ jobmetrics.type_double() }})) as scans_before_sum,
        sum(cast(scans_before as {{ jobmetrics.type_double() }}) * scans_before) as scans_before_sum_squares,
        sum(cast(scans as {{ jobmetrics.type_double() }}) * scans_before) as scans_scans_before_sum_products
    from user_metrics
    group by tenant_id, experiment_id, variant
),

final as (
    -- every declared variant and metric, with no users as zeros
    select
        experiments.tenant_id,
        experiments.experiment_id,
        experiments.variant,
        experiments.is_control,
        experiments.weight,
        metric_names.metric,
        coalesce(sums.users, 0) as users,
        coalesce(
            case metric_names.metric
                when 'conversion' then sums.converted_sum
                when 'scans_per_user' then sums.scans_sum
                else sums.match_rate_sum
            end,
            0
        ) as value_sum,
        coalesce(
            case metric_names.metric
                when 'conversion' then sums.converted_sum_squares
                when 'scans_per_user' then sums.scans_sum_squares
                else sums.match_rate_sum_squares
            end,
            0
        ) as value_sum_squares,
        case when metric_names.metric = 'match_rate' then coalesce(sums.scans_sum, 0) end as denominator_sum,
        case
            when metric_names.metric = 'match_rate' then coalesce(sums.scans_sum_squares, 0)
        end as denominator_sum_squares,
        case
            when metric_names.metric = 'match_rate' then coalesce(sums.match_rate_scans_sum_products, 0)
        end as value_denominator_sum_products,
        case
            when metric_names.metric = 'scans_per_user' then coalesce(sums.scans_before_sum, 0)
        end as covariate_sum,
        case
            when metric_names.metric = 'scans_per_user' then coalesce(sums.scans_before_sum_squares, 0)
        end as covariate_sum_squares,
        case
            when metric_names.metric = 'scans_per_user' then coalesce(sums.scans_scans_before_sum_products, 0)
        end as value_covariate_sum_products
    from experiments
    cross join metric_names
    left join sums
        on
            experiments.tenant_id = sums.tenant_id
            and experiments.experiment_id = sums.experiment_id
            and experiments.variant = sums.variant
)

select * from final
