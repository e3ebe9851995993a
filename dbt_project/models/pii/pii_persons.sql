{{ config(alias='persons', **borough_incremental()) }}
-- One row per borough and person: the identifiable record the SEN2 return needs.
-- Precedence: the case system's record, else the latest SEN2 return's.
with

case_persons as (
    select * from {{ ref('pii_case_person_keys') }}
    where {{ in_changed_boroughs() }}
),

sen2_persons as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

candidates as (
    select
        borough,
        person_key,
        person_ref,
        upn,
        uln,
        upn_unknown,
        surname,
        forename,
        birth_on,
        sex,
        ethnicity,
        postcode,
        'case' as source,
        1 as source_rank,
        extract_on as recorded_on
    from case_persons
    union all
    select
        borough,
        person_key,
        person_ref,
        upn,
        uln,
        upn_unknown,
        surname,
        forename,
        birth_on,
        sex,
        ethnicity,
        postcode,
        'sen2' as source,
        2 as source_rank,
        make_date(return_year, 1, 1) as recorded_on
    from sen2_persons
),

chosen as (
    select distinct on (borough, person_key) *
    from candidates
    order by borough asc, person_key asc, source_rank asc, recorded_on desc
),

final as (
    select
        borough,
        person_key,
        person_ref,
        upn,
        uln,
        upn_unknown,
        surname,
        forename,
        birth_on,
        sex,
        ethnicity,
        postcode,
        source
    from chosen
)

select * from final
