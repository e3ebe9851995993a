-- Annual reviews of the case systems' plans, one row per review cycle: a plan is due a review
-- within 12 months (var review_interval_months) of its issue and then of its last review.
-- Every review held closes the cycle open at the time (held within 12 months, or late); the
-- cycle each plan is in now (its next review, not yet held) is a row too, while the plan is
-- held on its due date. A plan left unreviewed for years is one overdue cycle, not one a
-- year. The decision after each meeting is due within 4 weeks (var review_decision_days).
-- Reviews come from the case extracts only (SEN2 returns before 2025 carry no decision dates);
-- `draft_plan_on` is SEN2's ReviewDraft (item 5.4d). Nothing here depends on the day it is
-- built: whether a review is overdue today is the marts' to say (annual_reviews,
-- ehc_open_cases), so that a daily build rebuilds this model for the changed boroughs alone.
{{ config(**borough_incremental()) }}
with

plans as (
    select * from {{ ref('int_plans') }}
    where source = 'case' and {{ in_changed_boroughs() }}
),

case_reviews as (
    select * from {{ ref('stg_case__reviews') }}
    where {{ in_changed_boroughs() }}
),

reviews as (
    select distinct on (borough, review_id)
        borough,
        review_id,
        {{ case_key('borough', 'case', 'plan_id') }} as plan_key,
        review_on,
        review_outcome,
        decision_on,
        draft_plan_on,
        final_plan_on
    from case_reviews
    order by borough asc, review_id asc, extract_on desc, source_row asc
),

reviews_in_order as (
    select
        reviews.*,
        plans.person_key,
        plans.start_on as plan_start_on,
        plans.cease_on as plan_cease_on,
        row_number() over (
            partition by reviews.borough, reviews.plan_key
            order by reviews.review_on, reviews.review_id
        )::int as review_seq,
        coalesce(
            lag(reviews.review_on) over (
                partition by reviews.borough, reviews.plan_key
                order by reviews.review_on, reviews.review_id
            ),
            plans.start_on
        ) as cycle_start_on
    from reviews
    inner join plans using (borough, plan_key)
),

held as (
    select
        borough,
        plan_key,
        person_key,
        review_seq,
        {{ case_key('borough', 'case:review', 'review_id') }} as review_key,
        cycle_start_on,
        {{ review_due_on('cycle_start_on') }} as due_on,
        review_on,
        review_outcome,
        decision_on,
        draft_plan_on,
        final_plan_on,
        plan_start_on,
        plan_cease_on
    from reviews_in_order
),

last_held as (
    select distinct on (borough, plan_key)
        borough,
        plan_key,
        review_seq,
        review_on
    from held
    order by borough asc, plan_key asc, review_seq desc
),

awaited as (
    select
        plans.borough,
        plans.plan_key,
        plans.person_key,
        coalesce(last_held.review_seq, 0) + 1 as review_seq,
        md5(plans.plan_key || ':review due:' || (coalesce(last_held.review_seq, 0) + 1)) as review_key,
        coalesce(last_held.review_on, plans.start_on) as cycle_start_on,
        {{ review_due_on('coalesce(last_held.review_on, plans.start_on)') }} as due_on,
        null::date as review_on,
        null::text as review_outcome,
        null::date as decision_on,
        null::date as draft_plan_on,
        null::date as final_plan_on,
        plans.start_on as plan_start_on,
        plans.cease_on as plan_cease_on
    from plans
    left join last_held using (borough, plan_key)
),

cycles as (
    select * from held
    union all
    select * from awaited
    where plan_cease_on is null or plan_cease_on > due_on
),

final as (
    select
        borough,
        plan_key,
        person_key,
        review_seq,
        review_key,
        cycle_start_on,
        due_on,
        review_on,
        review_outcome,
        decision_on,
        draft_plan_on,
        final_plan_on,
        plan_start_on,
        plan_cease_on,
        review_on is not null as is_held,
        coalesce(review_on <= due_on, false) as is_held_within_12_months,
        coalesce(review_on > due_on, false) as is_held_late,
        review_on + {{ review_decision_days() }} as decision_due_on,
        decision_on - review_on as days_to_decision,
        coalesce(decision_on - review_on <= {{ review_decision_days() }}, false)
        as is_decision_within_4_weeks,
        review_on is not null and decision_on is null as is_decision_awaited
    from cycles
)

select * from final
