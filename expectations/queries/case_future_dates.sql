-- Every date in the borough's latest case extract, as days after the run date.
with

dated as (
    select batch_id, source_row, 'birth_date' as field, birth_on as value
    from pii.stg_case__persons where borough = {borough}
    union all
    select batch_id, source_row, 'received_date', received_on
    from staging.stg_case__requests where borough = {borough}
    union all
    select batch_id, source_row, 'request_outcome_date', request_outcome_on
    from staging.stg_case__requests where borough = {borough}
    union all
    select batch_id, source_row, 'assessment_outcome_date', assessment_outcome_on
    from staging.stg_case__assessments where borough = {borough}
    union all
    select batch_id, source_row, 'plan_start_date', start_on
    from staging.stg_case__plans where borough = {borough}
    union all
    select batch_id, source_row, 'cease_date', cease_on
    from staging.stg_case__ceased_plans where borough = {borough}
    union all
    select batch_id, source_row, 'placement_entry_date', entry_on
    from staging.stg_case__placements where borough = {borough}
    union all
    select batch_id, source_row, 'review_date', review_on
    from staging.stg_case__reviews where borough = {borough}
    union all
    select batch_id, source_row, 'review_decision_date', decision_on
    from staging.stg_case__reviews where borough = {borough}
    union all
    select batch_id, source_row, 'final_amended_plan_date', final_plan_on
    from staging.stg_case__reviews where borough = {borough}
    union all
    -- (a phase transfer's move and deadline may be ahead; its final amended plan may not)
    select batch_id, source_row, 'phase_transfer_final_date', final_on
    from staging.stg_case__phase_transfers where borough = {borough}
),

final as (
    select batch_id, source_row, field, value - {run_date}::date as days_after_run_date
    from dated
    where value is not null
)

select * from final
