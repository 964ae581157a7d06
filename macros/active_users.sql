{#-
  Users active on each day of `days` (a relation with date_day) over a trailing window of `length`
  days, in linear time. `user_days` has user_id, scan_date and previous_scan_date (the user's scan day
  before). Each scan day keeps its user active for `length` days; a user's overlapping stretches merge
  into disjoint spans; a running sum of span starts (+1) and ends (-1) counts the users on each day.
  Returns a query with date_day and users.
-#}
{% macro running_active_users(user_days, days, length) %}
    with

    stretches as (
        -- a new stretch starts when the previous scan's window ended before this scan
        select
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
            ) over (partition by user_id order by scan_date rows between unbounded preceding and current row)
                as stretch
        from {{ user_days }}
    ),

    changes as (
        select
            min(scan_date) as date_day,
            1 as change
        from stretches
        group by user_id, stretch
        union all
        select
            cast({{ dbt.dateadd('day', length, 'max(scan_date)') }} as date) as date_day,
            -1 as change
        from stretches
        group by user_id, stretch
        union all
        select
            date_day,
            0 as change
        from {{ days }}
    )

    select
        date_day,
        sum(sum(change)) over (order by date_day rows between unbounded preceding and current row) as users
    from changes
    group by date_day
{% endmacro %}
