-- Annual reviews of plans: the case systems' review records, and the review meeting each
-- SEN2 return reports for an active plan, with the draft amended plan after an amend
-- decision (SEN2's ReviewDraft, item 5.4d; in returns from 2025).
{{ config(**borough_incremental()) }}
with

case_reviews as (
    select * from {{ ref('stg_case__reviews') }}
    where {{ in_changed_boroughs() }}
),

sen2_active as (
    select * from {{ ref('stg_sen2__active_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_plans as (
    select * from {{ ref('stg_sen2__named_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

from_case as (
    select distinct on (borough, review_id)
        borough,
        'case' as source,
        {{ case_key('borough', 'case', 'plan_id') }} as plan_key,
        review_on,
        review_outcome,
        draft_plan_on
    from case_reviews
    order by borough asc, review_id asc, extract_on desc, source_row asc
),

from_sen2 as (
    select distinct
        a.borough,
        'sen2' as source,
        {{ sen2_plan_key('k.person_key', 'p.start_on') }} as plan_key,
        a.review_meeting_on as review_on,
        a.review_outcome,
        a.review_draft_on as draft_plan_on
    from sen2_active as a
    inner join sen2_keys as k using (batch_id, person_seq)
    inner join sen2_plans as p using (batch_id, person_seq, request_seq)
    where a.review_meeting_on is not null
),

final as (
    select * from from_case
    union all
    select * from from_sen2
)

select * from final
