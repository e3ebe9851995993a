-- Every date in the borough's current SEN2 returns, as days after the run date.
with

dated as (
    select batch_id, source_row, 'BirthDate' as field, birth_on as value
    from pii.stg_sen2__persons where borough = {borough}
    union all
    select batch_id, source_row, 'ReceivedDate', received_on
    from staging.stg_sen2__requests where borough = {borough}
    union all
    select batch_id, source_row, 'RequestOutcomeDate', request_outcome_on
    from staging.stg_sen2__requests where borough = {borough}
    union all
    select batch_id, source_row, 'AssessmentOutcomeDate', assessment_outcome_on
    from staging.stg_sen2__assessments where borough = {borough}
    union all
    select batch_id, source_row, 'StartDate', start_on
    from staging.stg_sen2__named_plans where borough = {borough}
    union all
    select batch_id, source_row, 'CeaseDate', cease_on
    from staging.stg_sen2__named_plans where borough = {borough}
),

final as (
    select batch_id, source_row, field, value - {run_date}::date as days_after_run_date
    from dated
    where value is not null
)

select * from final
