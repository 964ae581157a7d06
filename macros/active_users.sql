{#-
  Users active on each tenant's days of `days` (a relation with tenant_id and date_day) over a trailing
  window of `length` days, in linear time. `user_days` has tenant_id, user_id, scan_date and
  previous_scan_date (the user's scan day before). Each scan day keeps its user active for `length` days; a user's overlapping stretches merge
  into disjoint spans; a running sum of span starts (+1) and ends (-1) counts the users on each day.
  Returns a query with tenant_id, date_day and users.
-#}
{% macro running_active_users(user_days, days, length) %}
    with

    stretches as (
        -- a new stretch starts when the previous scan's window ended before this scan
        select
            tenant_id,
            user_id,
            scan_date,
            sum(
                case
                    when
                        previous_scan_date is null
                        or scan_date > cast({{ dbt.dateadd('day', length, 'previous_scan_date') }} as date)
                        then 1
                    else 0
                end
            ) over (
                partition by user_id, tenant_id order by scan_date rows between unbounded preceding and current row
            )
                as stretch
        from {{ user_days }}
    ),

    changes as (
        select
            tenant_id,
            min(scan_date) as date_day,
            1 as change
        from stretches
        group by tenant_id, user_id, stretch
        union all
        select
            tenant_id,
            cast({{ dbt.dateadd('day', length, 'max(scan_date)') }} as date) as date_day,
            -1 as change
        from stretches
        group by tenant_id, user_id, stretch
        union all
        select
            tenant_id,
            date_day,
            0 as change
        from {{ days }}
    )

    select
        tenant_id,
        date_day,
        sum(sum(change)) over (
            partition by tenant_id order by date_day rows between unbounded preceding and current row
        ) as users
    from changes
    group by tenant_id, date_day
{% endmacro %}
