-- The Person items of each borough's SEN2 return for each collection year: the identifiers
-- (pii) of everyone with a row in sen2_return_requests. UPNunknown is given only when the
-- person has neither UPN nor ULN (UN8 when the source gave no reason).
{{ config(**borough_incremental()) }}
with

requests as (
    select * from {{ ref('sen2_return_requests') }}
    where {{ in_changed_boroughs() }}
),

persons as (
    select * from {{ ref('pii_persons') }}
    where {{ in_changed_boroughs() }}
),

returned as (
    select distinct
        borough,
        collection_year,
        person_key
    from requests
),

identified as (
    select
        returned.borough,
        returned.collection_year,
        returned.person_key,
        persons.surname,
        persons.forename,
        persons.birth_on,
        persons.sex,
        persons.ethnicity,
        persons.postcode,
        persons.upn,
        persons.uln,
        case
            when coalesce(persons.upn, '') = '' and coalesce(persons.uln, '') = ''
                then coalesce(nullif(persons.upn_unknown, ''), 'UN8')
        end as upn_unknown
    from returned
    inner join persons using (borough, person_key)
),

final as (
    select * from identified
)

select * from final
