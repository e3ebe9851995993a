-- One row per request in the borough's latest case extract: the order of its dates.
with

requests as (
    select * from staging.stg_case__requests
    where borough = {borough}
),

plans as (
    select request_id, min(start_on) as start_on, min(plan_id) as plan_id
    from staging.stg_case__plans
    where borough = {borough}
    group by 1
),

ceased as (
    select plan_id, max(cease_on) as cease_on
    from staging.stg_case__ceased_plans
    where borough = {borough}
    group by 1
),

final as (
    select
        requests.batch_id,
        requests.source_row,
        requests.request_outcome_on - requests.received_on as days_request_to_decision,
        plans.start_on - requests.request_outcome_on as days_decision_to_plan,
        ceased.cease_on - plans.start_on as days_start_to_cease
    from requests
    left join plans using (request_id)
    left join ceased using (plan_id)
)

select * from final
