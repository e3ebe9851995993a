-- One row per annual review in the borough's latest case extract: the order of its dates
-- (the decision notified on or after the meeting).
with

reviews as (
    select * from staging.stg_case__reviews
    where borough = {borough}
),

final as (
    select
        batch_id,
        source_row,
        decision_on - review_on as days_meeting_to_decision
    from reviews
)

select * from final
