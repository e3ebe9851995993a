-- Each request with the statutory clocks applied (sen2-spec.md, "Measures DfE publishes"):
--   decision within 6 weeks: a decision (Y or N) dated no more than 42 days after the request;
--   plan issued: AssessmentOutcome Y with a date; 'H' (historical or transferred in) never is;
--     requests with a mediation or tribunal flag are left out of the plan measures;
--   within 20 weeks: <= 140 days from request to plan; bands 141-365 days and > 365 days;
--   "_ex" measures drop Week20 exceptions from numerator and denominator.
with

requests as (
    select * from {{ ref('int_requests') }}
),

timed as (
    select
        *,
        extract(year from received_on)::int as received_year,
        date_trunc('month', received_on)::date as received_month,
        request_outcome in ('Y', 'N') and request_outcome_on is not null as is_decided,
        request_outcome_on - received_on as days_to_decision,
        assessment_outcome = 'Y' and assessment_outcome_on is not null as is_plan_issued,
        assessment_outcome_on - received_on as days_to_plan,
        has_request_mediation or has_request_tribunal
        or has_assessment_mediation or has_assessment_tribunal as has_dispute
    from requests
),

flagged as (
    select
        *,
        is_decided and days_to_decision <= {{ decision_deadline_days() }} as is_decided_within_6_weeks,
        is_plan_issued and not has_dispute as is_counted_plan,
        extract(year from assessment_outcome_on)::int as issued_year,
        date_trunc('month', assessment_outcome_on)::date as issued_month,
        case
            when not is_plan_issued then null
            when days_to_plan <= {{ plan_deadline_days() }} then 'within_20_weeks'
            when days_to_plan <= {{ one_year_days() }} then 'over_20_weeks_within_year'
            else 'over_1_year'
        end as plan_timeliness_band
    from timed
),

final as (
    select * from flagged
)

select * from final
