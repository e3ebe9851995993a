-- One row per EHC needs assessment request, from the case system and from SEN2 returns,
-- with its decision and assessment. Both sources are kept; int_borough_coverage says which
-- one speaks for each year. The same SEN2 request appears in several returns: its decision
-- is taken from the return that recorded it (not 'H' historical, not 'A' awaiting), and
-- likewise its assessment outcome; otherwise the latest return wins.
{{ config(**borough_incremental()) }}
with

case_requests as (
    select * from {{ ref('stg_case__requests') }}
    where {{ in_changed_boroughs() }}
),

case_assessments as (
    select * from {{ ref('stg_case__assessments') }}
    where {{ in_changed_boroughs() }}
),

case_keys as (
    select * from {{ ref('pii_case_person_keys') }}
    where {{ in_changed_boroughs() }}
),

sen2_requests as (
    select * from {{ ref('stg_sen2__requests') }}
    where {{ in_changed_boroughs() }}
),

sen2_assessments as (
    select * from {{ ref('stg_sen2__assessments') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

case_requests_deduplicated as (
    select distinct on (borough, request_id) *
    from case_requests
    order by borough, request_id, source_row
),

case_assessments_deduplicated as (
    select distinct on (borough, request_id) *
    from case_assessments
    order by borough, request_id, source_row
),

from_case as (
    select
        r.borough,
        'case' as source,
        {{ case_key('r.borough', 'case', 'r.request_id') }} as request_key,
        k.person_key,
        r.received_on,
        r.request_source,
        r.is_young_person_request,
        r.request_outcome,
        r.request_outcome_on,
        r.has_request_mediation,
        r.has_request_tribunal,
        a.assessment_outcome,
        a.assessment_outcome_on,
        coalesce(a.has_week20_exception, false) as has_week20_exception,
        coalesce(a.has_assessment_mediation, false) as has_assessment_mediation,
        coalesce(a.has_assessment_tribunal, false) as has_assessment_tribunal
    from case_requests_deduplicated as r
    left join case_assessments_deduplicated as a using (borough, request_id)
    left join case_keys as k using (borough, person_id)
),

sen2_keyed as (
    select
        r.*,
        k.person_key
    from sen2_requests as r
    inner join sen2_keys as k using (batch_id, person_seq)
),

sen2_decisions as (
    select distinct on (borough, person_key, received_on) *
    from sen2_keyed
    order by
        borough asc, person_key asc, received_on asc,
        (request_outcome = 'H'), (request_outcome = 'A'), return_year desc
),

sen2_assessed as (
    select
        a.*,
        r.person_key,
        r.received_on
    from sen2_assessments as a
    inner join sen2_keyed as r using (batch_id, person_seq, request_seq)
),

sen2_assessment_outcomes as (
    select distinct on (borough, person_key, received_on) *
    from sen2_assessed
    order by
        borough asc, person_key asc, received_on asc,
        (assessment_outcome = 'H'), (assessment_outcome = 'A'), return_year desc
),

from_sen2 as (
    select
        d.borough,
        'sen2' as source,
        md5(d.person_key || ':' || d.received_on) as request_key,
        d.person_key,
        d.received_on,
        d.request_source,
        d.is_young_person_request,
        d.request_outcome,
        d.request_outcome_on,
        d.has_request_mediation,
        d.has_request_tribunal,
        a.assessment_outcome,
        a.assessment_outcome_on,
        coalesce(a.has_week20_exception, false) as has_week20_exception,
        coalesce(a.has_assessment_mediation, false) as has_assessment_mediation,
        coalesce(a.has_assessment_tribunal, false) as has_assessment_tribunal
    from sen2_decisions as d
    left join sen2_assessment_outcomes as a using (borough, person_key, received_on)
),

final as (
    select * from from_case
    union all
    select * from from_sen2
)

select * from final
