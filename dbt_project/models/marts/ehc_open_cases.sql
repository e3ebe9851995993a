-- Today's worklist: every request without a final outcome as at `today` (a run variable),
-- its stage, how long it has waited, its 6-week and 20-week due dates and the days left
-- (negative once breached), most urgent first (urgency_rank 1). Each request comes from the
-- source that speaks for the year it was received (int_requests_attributed).
with

requests as (
    select * from {{ ref('int_requests_attributed') }}
    where is_source_for_received_year
),

as_at as (
    select
        requests.*,
        {{ today() }} as today_on,
        coalesce(
            requests.request_outcome in ('Y', 'N', 'H')
            and coalesce(requests.request_outcome_on, requests.received_on) <= {{ today() }}, false
        ) as is_request_decided,
        coalesce(
            requests.request_outcome = 'W'
            and coalesce(requests.request_outcome_on, requests.received_on) <= {{ today() }},
            false
        )
        or coalesce(
            requests.assessment_outcome = 'W'
            and coalesce(requests.assessment_outcome_on, requests.received_on) <= {{ today() }}, false
        ) as is_withdrawn,
        coalesce(
            requests.assessment_outcome in ('Y', 'N', 'H')
            and coalesce(requests.assessment_outcome_on, requests.received_on) <= {{ today() }}, false
        ) as is_assessment_final
    from requests
    where requests.received_on <= {{ today() }}
),

open_requests as (
    select *
    from as_at
    where
        not is_withdrawn
        and not is_assessment_final
        and not (is_request_decided and request_outcome = 'N')
),

staged as (
    select
        borough,
        request_key,
        person_key,
        received_on,
        case when is_request_decided then 'assessment' else 'awaiting decision' end as stage,
        round((today_on - received_on) / 7.0, 1) as weeks_elapsed,
        received_on + {{ decision_deadline_days() }} as decision_due_on,
        received_on + {{ plan_deadline_days() }} as plan_due_on,
        case
            when is_request_decided then received_on + {{ plan_deadline_days() }} - today_on
            else received_on + {{ decision_deadline_days() }} - today_on
        end as days_left,
        has_week20_exception,
        today_on
    from open_requests
),

ranked as (
    select
        *,
        days_left < 0 as is_breached,
        row_number() over (
            order by days_left, received_on, request_key
        )::int as urgency_rank
    from staged
),

final as (
    select
        urgency_rank,
        borough,
        request_key,
        person_key,
        received_on,
        stage,
        weeks_elapsed,
        decision_due_on,
        plan_due_on,
        days_left,
        is_breached,
        has_week20_exception,
        today_on
    from ranked
    order by urgency_rank
)

select * from final
