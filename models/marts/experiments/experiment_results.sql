with

lifts as (
    select * from {{ ref('int_experiment_lifts') }}
),

final as (
    select
        cast(tenant_id as {{ dbt.type_string() }}) as tenant_id,
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(variant as {{ dbt.type_string() }}) as variant,
        cast(is_control as boolean) as is_control,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(users as {{ dbt.type_bigint() }}) as users,
        cast(value as {{ jobmetrics.type_double() }}) as value,
        cast(control_value as {{ jobmetrics.type_double() }}) as control_value,
        cast(absolute_lift as {{ jobmetrics.type_double() }}) as absolute_lift,
        cast(relative_lift as {{ jobmetrics.type_double() }}) as relative_lift,
        cast(standard_error as {{ jobmetrics.type_double() }}) as standard_error,
        cast(ci_low as {{ jobmetrics.type_double() }}) as ci_low,
        cast(ci_high as {{ jobmetrics.type_double() }}) as ci_high,
        cast(p_value as {{ jobmetrics.type_double() }}) as p_value,
        cast(sequential_p_value as {{ jobmetrics.type_double() }}) as sequential_p_value,
        cast(cuped_value as {{ jobmetrics.type_double() }}) as cuped_value,
        cast(cuped_absolute_lift as {{ jobmetrics.type_double() }}) as cuped_absolute_lift,
        cast(cuped_ci_low as {{ jobmetrics.type_double() }}) as cuped_ci_low,
        cast(cuped_ci_high as {{ jobmetrics.type_double() }}) as cuped_ci_high,
        cast(cuped_p_value as {{ jobmetrics.type_double() }}) as cuped_p_value
    from lifts
)

select * from final
