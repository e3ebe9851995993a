{{ config(alias='sen2_person_keys', **borough_incremental()) }}
-- SEN2 Person records with their pseudonymous key, one row per return and position.
with

persons as (
    select * from {{ ref('stg_sen2__persons') }}
    where {{ in_changed_boroughs() }}
),

referenced as (
    select
        *,
        {{ person_ref('upn', 'uln', 'surname', 'forename', 'birth_on') }} as person_ref
    from persons
),

keyed as (
    select
        batch_id,
        borough,
        return_year,
        person_seq,
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
        postcode
    from referenced
),

final as (
    select * from keyed
)

select * from final
