with

logrank as (
    select * from {{ ref('int_churn_logrank') }}
),

final as (
    select
        tenant_id,
        grouped_by,
        groups,
        spells,
        test_statistic,
        degrees_of_freedom,
        p_value
    from logrank
)

select * from final
