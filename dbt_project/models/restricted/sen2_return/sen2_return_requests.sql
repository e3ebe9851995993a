-- The Requests of each borough's SEN2 return for each collection year (sen2-spec.md), one
-- row per request and plan, from the source that speaks for the census
-- (int_collection_years). In the return: every request received, decided or assessed in
-- the collection period (the previous calendar year), every plan issued or ceased in it,
-- every plan active at the census, and work still open at the census. Outcomes are as
-- they stood on the census date: a decision dated after it is still awaited ('A'), a
-- decision from before the period is historical ('H'). Plans without a request (statement
-- transfers, plans from earlier systems) are returned under a historical request dated at
-- the plan's start. Columns are what the XML says: a date or block that the return leaves
-- out is null (no assessment_outcome: no Assessment block; no named_plan_start_on: no
-- NamedPlan; has_active_plan: an ActivePlans block). Only persons with a record in pii.
--
-- The planner estimates one row for the selection below (its OR of period tests), and with
-- one row a nested loop against the reviews looks cheap: it ran for minutes on the sample
-- data. Hash joins take under a second. `set local` lasts for the model's transaction only.
{{ config(pre_hook="set local enable_nestloop = off", **borough_incremental()) }}

with

collections as (
    select * from {{ ref('int_collection_years') }}
    where {{ in_changed_boroughs() }}
),

requests as (
    select * from {{ ref('int_requests') }}
    where {{ in_changed_boroughs() }}
),

plans as (
    select * from {{ ref('int_plans') }}
    where {{ in_changed_boroughs() }}
),

plans_at_census as (
    select * from {{ ref('int_plans_at_census') }}
    where {{ in_changed_boroughs() }}
),

reviews as (
    select * from {{ ref('int_reviews') }}
    where {{ in_changed_boroughs() }}
),

phase_transfers as (
    select * from {{ ref('int_return_phase_transfers') }}
    where {{ in_changed_boroughs() }}
),

persons as (
    select * from {{ ref('pii_persons') }}
    where {{ in_changed_boroughs() }}
),

plan_requests as (
    select
        borough,
        source,
        md5(plan_key || ':request') as request_key,
        person_key,
        start_on as received_on,
        null::text as request_source,
        false as is_young_person_request,
        'H' as request_outcome,
        null::date as request_outcome_on,
        false as has_request_mediation,
        false as has_request_tribunal,
        'H' as assessment_outcome,
        null::date as assessment_outcome_on,
        false as has_week20_exception,
        false as has_assessment_mediation,
        false as has_assessment_tribunal,
        plan_key
    from plans
    where request_key is null
),

requests_with_plans as (
    select
        requests.borough,
        requests.source,
        requests.request_key,
        requests.person_key,
        requests.received_on,
        requests.request_source,
        requests.is_young_person_request,
        requests.request_outcome,
        requests.request_outcome_on,
        requests.has_request_mediation,
        requests.has_request_tribunal,
        requests.assessment_outcome,
        requests.assessment_outcome_on,
        requests.has_week20_exception,
        requests.has_assessment_mediation,
        requests.has_assessment_tribunal,
        plans.plan_key
    from requests
    left join plans
        on
            requests.borough = plans.borough
            and requests.source = plans.source
            and requests.request_key = plans.request_key
    union all
    select * from plan_requests
),

in_collections as (
    select
        collections.collection_year,
        collections.census_date,
        collections.period_start_on,
        collections.period_end_on,
        requests_with_plans.*,
        plans.start_on,
        plans.cease_on,
        plans.cease_reason,
        plans.has_personal_budget,
        plans_at_census.plan_key is not null as is_active
    from requests_with_plans
    inner join collections
        on
            requests_with_plans.borough = collections.borough
            and requests_with_plans.source = collections.source
    left join plans
        on
            requests_with_plans.borough = plans.borough
            and requests_with_plans.source = plans.source
            and requests_with_plans.plan_key = plans.plan_key
    left join plans_at_census
        on
            requests_with_plans.borough = plans_at_census.borough
            and collections.collection_year = plans_at_census.census_year
            and requests_with_plans.plan_key = plans_at_census.plan_key
    where requests_with_plans.received_on <= collections.census_date
),

as_at_census as (
    select
        *,
        case
            when request_outcome in ('Y', 'N', 'W') and request_outcome_on > census_date then 'A'
            when request_outcome in ('Y', 'N') and request_outcome_on < period_start_on then 'H'
            else request_outcome
        end as outcome_at_census,
        case
            when assessment_outcome in ('Y', 'N', 'W') and assessment_outcome_on > census_date then 'A'
            when assessment_outcome in ('Y', 'N') and assessment_outcome_on < period_start_on then 'H'
            else assessment_outcome
        end as assessment_at_census
    from in_collections
),

selected as (
    select * from as_at_census
    where
        received_on between period_start_on and period_end_on
        or request_outcome_on between period_start_on and period_end_on
        or assessment_outcome_on between period_start_on and period_end_on
        or start_on between period_start_on and period_end_on
        or cease_on between period_start_on and period_end_on
        or is_active
        or outcome_at_census = 'A'
        or (
            request_outcome in ('Y', 'H') and outcome_at_census <> 'A'
            and coalesce(assessment_at_census, 'A') = 'A'
        )
),

of_known_persons as (
    select selected.*
    from selected
    where exists (
        select 1 from persons
        where persons.borough = selected.borough and persons.person_key = selected.person_key
    )
),

with_blocks as (
    -- an Assessment block when the request was agreed (or is historical) and has an outcome
    select
        *,
        coalesce(outcome_at_census in ('Y', 'H') and assessment_at_census is not null, false)
        as has_assessment
    from of_known_persons
),

with_plan_blocks as (
    select
        *,
        coalesce(
            has_assessment and assessment_at_census in ('Y', 'H') and plan_key is not null
            and start_on <= census_date, false
        ) as has_named_plan
    from with_blocks
),

latest_reviews as (
    select distinct on (with_plan_blocks.collection_year, with_plan_blocks.plan_key)
        with_plan_blocks.collection_year,
        with_plan_blocks.plan_key,
        reviews.review_on,
        reviews.review_outcome,
        case when reviews.draft_plan_on <= with_plan_blocks.census_date then reviews.draft_plan_on end
        as review_draft_on
    from with_plan_blocks
    inner join reviews
        on
            with_plan_blocks.borough = reviews.borough
            and with_plan_blocks.source = reviews.source
            and with_plan_blocks.plan_key = reviews.plan_key
    where
        with_plan_blocks.is_active
        and reviews.review_on <= with_plan_blocks.census_date
    order by
        with_plan_blocks.collection_year asc, with_plan_blocks.plan_key asc,
        reviews.review_on desc, reviews.review_outcome asc
),

recoded as (
    select
        r.borough,
        r.collection_year,
        r.source,
        r.person_key,
        r.request_key,
        r.plan_key,
        r.received_on,
        coalesce(nullif(r.request_source, ''), '5') as request_source,
        coalesce(r.is_young_person_request, false) as is_young_person_request,
        case when r.outcome_at_census in ('Y', 'N') then r.request_outcome_on end as request_outcome_on,
        r.outcome_at_census as request_outcome,
        coalesce(r.has_request_mediation, false) as has_request_mediation,
        coalesce(r.has_request_tribunal, false) as has_request_tribunal,
        case when r.has_assessment then r.assessment_at_census end as assessment_outcome,
        case
            when r.has_assessment and r.assessment_at_census in ('Y', 'N')
                then r.assessment_outcome_on
        end as assessment_outcome_on,
        coalesce(r.has_assessment_mediation, false) as has_assessment_mediation,
        coalesce(r.has_assessment_tribunal, false) as has_assessment_tribunal,
        coalesce(r.has_week20_exception, false) as has_week20_exception,
        case when r.has_named_plan then r.start_on end as named_plan_start_on,
        coalesce(r.has_personal_budget, false) as has_personal_budget,
        case when r.has_named_plan and r.cease_on <= r.census_date then r.cease_on end as cease_on,
        case when r.has_named_plan and r.cease_on <= r.census_date then r.cease_reason end as cease_reason,
        r.has_assessment and r.is_active as has_active_plan,
        r.start_on as plan_start_on,
        latest_reviews.review_on,
        latest_reviews.review_outcome,
        latest_reviews.review_draft_on,
        case when r.is_active then phase_transfers.due_on end as phase_transfer_due_on,
        case
            when r.is_active and phase_transfers.final_on <= r.census_date then phase_transfers.final_on
        end as phase_transfer_final_on
    from with_plan_blocks as r
    left join latest_reviews
        on
            r.collection_year = latest_reviews.collection_year
            and r.plan_key = latest_reviews.plan_key
    left join phase_transfers
        on
            r.borough = phase_transfers.borough
            and r.source = phase_transfers.source
            and r.collection_year = phase_transfers.collection_year
            and r.plan_key = phase_transfers.plan_key
),

final as (
    select * from recoded
)

select * from final
