with

exposures as (
    select * from {{ ref('int_experiment_exposures') }}
    where not is_multiple_exposure and is_window_complete
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

scans as (
    select * from {{ ref('int_scans') }}
),

conversions as (
    select
        exposures.tenant_id,
        exposures.experiment_id,
        exposures.user_id
    from exposures
    inner join subscriptions
        on
            exposures.tenant_id = subscriptions.tenant_id
            and exposures.user_id = subscriptions.user_id
            and exposures.exposed_at <= subscriptions.started_at
            and exposures.window_ends_at > subscriptions.started_at
    group by exposures.tenant_id, exposures.experiment_id, exposures.user_id
),

scan_totals as (
    -- scans in the window, and in as many days before the exposure (CUPED's covariate)
    select
        exposures.tenant_id,
        exposures.experiment_id,
        exposures.user_id,
        sum(case when scans.scanned_at >= exposures.exposed_at then 1 else 0 end) as scans,
        sum(case when scans.scanned_at >= exposures.exposed_at then scans.match_rate else 0 end) as match_rate_sum,
        sum(case when scans.scanned_at < exposures.exposed_at then 1 else 0 end) as scans_before
    from exposures
    inner join scans
        on
            exposures.tenant_id = scans.tenant_id
            and exposures.user_id = scans.user_id
            and scans.scanned_at >= {{ dbt.dateadd('day', -var('experiment_window_days'), 'exposures.exposed_at') }}
            and exposures.window_ends_at > scans.scanned_at
    group by exposures.tenant_id, exposures.experiment_id, exposures.user_id
),

final as (
    select
        exposures.tenant_id,
        exposures.experiment_id,
        exposures.user_id,
        exposures.variant,
        case when conversions.user_id is null then 0 else 1 end as converted,
        coalesce(scan_totals.scans, 0) as scans,
        coalesce(scan_totals.match_rate_sum, 0) as match_rate_sum,
        coalesce(scan_totals.scans_before, 0) as scans_before
    from exposures
    left join conversions
        on
            exposures.tenant_id = conversions.tenant_id
            and exposures.experiment_id = conversions.experiment_id
            and exposures.user_id = conversions.user_id
    left join scan_totals
        on
            exposures.tenant_id = scan_totals.tenant_id
            and exposures.experiment_id = scan_totals.experiment_id
            and exposures.user_id = scan_totals.user_id
)

select * from final
