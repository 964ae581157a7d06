with

user_funnel as (
    select * from {{ ref('int_user_funnel') }}
),

steps as (
    select
        1 as step_order,
        'signed_up' as step
    union all
    select
        2 as step_order,
        'scanned' as step
    union all
    select
        3 as step_order,
        'engaged' as step
    union all
    select
        4 as step_order,
        'converted' as step
    union all
    select
        5 as step_order,
        'retained' as step
),

channel_segments as (
    select distinct
        tenant_id,
        acquisition_channel,
        segment
    from user_funnel
),

counts as (
    select
        channel_segments.tenant_id,
        channel_segments.acquisition_channel,
        channel_segments.segment,
        steps.step_order,
        steps.step,
        count(user_funnel.user_id) as users
    from channel_segments
    cross join steps
    left join user_funnel
        on
            channel_segments.tenant_id = user_funnel.tenant_id
            and channel_segments.acquisition_channel = user_funnel.acquisition_channel
            and channel_segments.segment = user_funnel.segment
            and steps.step_order <= user_funnel.furthest_step
    group by
        channel_segments.tenant_id,
        channel_segments.acquisition_channel,
        channel_segments.segment,
        steps.step_order,
        steps.step
),

final as (
    select
        tenant_id,
        acquisition_channel,
        segment,
        step_order,
        step,
        cast(users as {{ dbt.type_bigint() }}) as users,
        {{ jobmetrics.safe_divide(
            'users',
            'first_value(users) over (partition by tenant_id, acquisition_channel, segment order by step_order)'
        ) }} as pct_of_signups,
        {{ jobmetrics.safe_divide(
            'users',
            'lag(users) over (partition by tenant_id, acquisition_channel, segment order by step_order)'
        ) }} as pct_of_previous_step
    from counts
)

select * from final
