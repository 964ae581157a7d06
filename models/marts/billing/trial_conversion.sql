with

trials as (
    select * from {{ ref('int_trials') }}
),

final as (
    select
        tenant_id,
        trial_month,
        cast(count(*) as {{ dbt.type_bigint() }}) as trials_started,
        cast(sum(case when is_converted then 1 else 0 end) as {{ dbt.type_bigint() }}) as trials_converted,
        {{ jobmetrics.safe_divide('sum(case when is_converted then 1 else 0 end)', 'count(*)') }} as conversion_rate,
        min(case when has_ended then 1 else 0 end) = 1 as all_trials_ended
    from trials
    group by tenant_id, trial_month
)

select * from final
