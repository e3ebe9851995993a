-- One row per Request in the borough's current SEN2 returns: the order of its dates.
with

requests as (
    select * from staging.stg_sen2__requests
    where borough = {borough}
),

named_plans as (
    select batch_id, person_seq, request_seq, min(start_on) as start_on, max(cease_on) as cease_on
    from staging.stg_sen2__named_plans
    where borough = {borough}
    group by 1, 2, 3
),

final as (
    select
        requests.batch_id,
        requests.source_row,
        requests.request_outcome_on - requests.received_on as days_request_to_decision,
        named_plans.start_on - requests.request_outcome_on as days_decision_to_plan,
        named_plans.cease_on - named_plans.start_on as days_start_to_cease
    from requests
    left join named_plans using (batch_id, person_seq, request_seq)
)

select * from final
