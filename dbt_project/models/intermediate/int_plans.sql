-- One row per EHC plan, from the case system and from SEN2 returns. A case plan with no
-- request came from a statement transfer (or transferred in). A SEN2 plan is identified by
-- its person and start date; its cessation is taken from whichever return recorded it.
{{ config(**borough_incremental()) }}
with

case_plans as (
    select * from {{ ref('stg_case__plans') }}
    where {{ in_changed_boroughs() }}
),

case_ceased as (
    select * from {{ ref('stg_case__ceased_plans') }}
    where {{ in_changed_boroughs() }}
),

case_keys as (
    select * from {{ ref('pii_case_person_keys') }}
    where {{ in_changed_boroughs() }}
),

sen2_plans as (
    select * from {{ ref('stg_sen2__named_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_requests as (
    select * from {{ ref('stg_sen2__requests') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

case_plans_deduplicated as (
    select distinct on (borough, plan_id) *
    from case_plans
    order by borough asc, plan_id asc, extract_on desc, source_row asc
),

case_ceased_deduplicated as (
    select distinct on (borough, plan_id) *
    from case_ceased
    order by borough asc, plan_id asc, cease_on desc
),

from_case as (
    select
        p.borough,
        'case' as source,
        {{ case_key('p.borough', 'case', 'p.plan_id') }} as plan_key,
        k.person_key,
        case when p.request_id is not null then {{ case_key('p.borough', 'case', 'p.request_id') }} end as request_key,
        p.start_on,
        c.cease_on,
        c.cease_reason,
        p.request_id is null as is_transfer_or_historical,
        p.has_personal_budget
    from case_plans_deduplicated as p
    left join case_ceased_deduplicated as c using (borough, plan_id)
    left join case_keys as k using (borough, person_id)
),

sen2_keyed as (
    select
        p.*,
        k.person_key,
        r.received_on,
        r.request_outcome
    from sen2_plans as p
    inner join sen2_keys as k using (batch_id, person_seq)
    inner join sen2_requests as r using (batch_id, person_seq, request_seq)
),

sen2_deduplicated as (
    select distinct on (borough, person_key, start_on) *
    from sen2_keyed
    order by borough asc, person_key asc, start_on asc, (cease_on is null), return_year desc
),

from_sen2 as (
    select
        borough,
        'sen2' as source,
        {{ sen2_plan_key('person_key', 'start_on') }} as plan_key,
        person_key,
        md5(person_key || ':' || received_on) as request_key,
        start_on,
        cease_on,
        cease_reason,
        request_outcome = 'H' as is_transfer_or_historical,
        has_personal_budget
    from sen2_deduplicated
    where start_on is not null
),

final as (
    select * from from_case
    union all
    select * from from_sen2
)

select * from final
