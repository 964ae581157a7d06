-- The `all` row is the blend of the channel rows: its counts and spend are their sums, and its
-- rates are recomputed from those sums (not averaged).
with

channels as (
    select * from {{ ref('channel_performance') }}
    where acquisition_channel != 'all'
),

blended as (
    select * from {{ ref('channel_performance') }}
    where acquisition_channel = 'all'
),

summed as (
    select
        sum(signups) as signups,
        sum(converted_users) as converted_users,
        sum(new_customers) as new_customers,
        sum(spend_usd) as spend_usd,
        sum(mrr) as mrr
    from channels
),

final as (
    select
        blended.signups,
        summed.signups as summed_signups
    from blended
    cross join summed
    where
        blended.signups != summed.signups
        or blended.converted_users != summed.converted_users
        or blended.new_customers != summed.new_customers
        or abs(blended.spend_usd - summed.spend_usd) > 0.001
        or abs(blended.mrr - summed.mrr) > 0.001
        or abs(blended.cac - {{ safe_divide('summed.spend_usd', 'summed.new_customers') }}) > 0.000001
        or abs(blended.conversion_rate - {{ safe_divide('summed.converted_users', 'summed.signups') }}) > 0.000001
)

select * from final
