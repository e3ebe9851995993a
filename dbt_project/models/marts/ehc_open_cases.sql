-- Today's worklist: every request without a final outcome as at `today` (a run variable),
-- its stage, how long it has waited, its 6-week and 20-week due dates and the days left
-- (negative once breached), most urgent first (urgency_rank 1). Each request comes from the
-- source that speaks for the year it was received (int_requests_attributed).
-- With them (work_item), the duties on plans held today coming due within the horizon (var
-- worklist_horizon_days) or already breached: annual reviews not yet held (stage 'annual
-- review'), decisions after a review meeting not yet notified ('review decision', 4 weeks)
-- and phase transfers whose amended plan is not final ('phase transfer', 15 February or
-- 31 March). Their request columns (request_key, received_on, ...) are empty.
with

requests as (
    select * from {{ ref('int_requests_attributed') }}
    where is_source_for_received_year
),

annual_reviews as (
    select * from {{ ref('int_annual_reviews') }}
    where coalesce(plan_cease_on > {{ today() }}, true)
),

phase_transfers as (
    select * from {{ ref('int_phase_transfers') }}
    where coalesce(plan_cease_on > {{ today() }}, true)
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

staged_requests as (
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
            when is_request_decided then received_on + {{ plan_deadline_days() }}
            else received_on + {{ decision_deadline_days() }}
        end as due_on,
        has_week20_exception,
        today_on,
        'request' as work_item,
        request_key as item_key,
        null::text as plan_key
    from open_requests
),

reviews_due as (
    select
        borough,
        null::text as request_key,
        person_key,
        null::date as received_on,
        'annual review' as stage,
        round(({{ today() }} - cycle_start_on) / 7.0, 1) as weeks_elapsed,
        null::date as decision_due_on,
        null::date as plan_due_on,
        due_on,
        null::boolean as has_week20_exception,
        {{ today() }} as today_on,
        'annual review' as work_item,
        review_key as item_key,
        plan_key
    from annual_reviews
    where not is_held and due_on <= {{ today() }} + {{ var('worklist_horizon_days') }}
),

review_decisions_due as (
    select
        borough,
        null::text as request_key,
        person_key,
        null::date as received_on,
        'review decision' as stage,
        round(({{ today() }} - review_on) / 7.0, 1) as weeks_elapsed,
        null::date as decision_due_on,
        null::date as plan_due_on,
        decision_due_on as due_on,
        null::boolean as has_week20_exception,
        {{ today() }} as today_on,
        'annual review' as work_item,
        review_key as item_key,
        plan_key
    from annual_reviews
    where is_decision_awaited and review_on <= {{ today() }}
),

phase_transfers_due as (
    select
        borough,
        null::text as request_key,
        person_key,
        null::date as received_on,
        'phase transfer' as stage,
        null::numeric as weeks_elapsed,
        null::date as decision_due_on,
        null::date as plan_due_on,
        due_on,
        null::boolean as has_week20_exception,
        {{ today() }} as today_on,
        'phase transfer' as work_item,
        phase_transfer_key as item_key,
        plan_key
    from phase_transfers
    where is_due and is_open and due_on <= {{ today() }} + {{ var('worklist_horizon_days') }}
),

staged as (
    select * from staged_requests
    union all
    select * from reviews_due
    union all
    select * from review_decisions_due
    union all
    select * from phase_transfers_due
),

ranked as (
    select
        *,
        due_on - today_on as days_left,
        due_on < today_on as is_breached,
        row_number() over (
            order by due_on - today_on, received_on nulls last, item_key
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
        today_on,
        work_item,
        item_key,
        plan_key,
        due_on
    from ranked
    order by urgency_rank
)

select * from final
