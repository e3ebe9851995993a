{{ config(alias='case_person_keys', **borough_incremental()) }}
-- Case-system persons with their identifiers and pseudonymous key, one row per borough and
-- case person id (the latest extract's record). Restricted: the pii schema.
with

persons as (
    select * from {{ ref('stg_case__persons') }}
    where {{ in_changed_boroughs() }}
),

referenced as (
    select
        *,
        {{ person_ref('upn', 'uln', 'surname', 'forename', 'birth_on') }} as person_ref
    from persons
),

deduplicated as (
    select distinct on (borough, person_id) *
    from referenced
    order by borough asc, person_id asc, extract_on desc, batch_id desc, source_row asc
),

keyed as (
    select
        borough,
        person_id,
        {{ person_key('borough', 'person_ref') }} as person_key,
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
        extract_on
    from deduplicated
),

final as (
    select * from keyed
)

select * from final
