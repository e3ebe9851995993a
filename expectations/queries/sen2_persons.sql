-- One row per Person in the borough's current SEN2 returns: identifiers, age, duplicates.
with

persons as (
    select * from pii.stg_sen2__persons
    where borough = {borough}
),

headers as (
    select batch_id, reference_on from staging.stg_sen2__headers
),

first_requests as (
    select batch_id, person_seq, min(received_on) as first_received_on
    from staging.stg_sen2__requests
    where borough = {borough}
    group by 1, 2
),

final as (
    select
        persons.batch_id,
        persons.source_row,
        persons.return_year,
        persons.upn is not null or persons.uln is not null or persons.upn_unknown is not null
            as has_identifier,
        audit.upn_is_valid(persons.upn) as upn_check_ok,
        audit.uln_is_valid(persons.uln) as uln_check_ok,
        extract(year from age(least(first_requests.first_received_on, headers.reference_on),
                              persons.birth_on))::int as age_at_first_contact,
        md5(row(persons.batch_id, persons.upn, persons.uln, persons.upn_unknown, persons.surname,
                persons.forename, persons.birth_on, persons.sex, persons.postcode)::text)
            as person_fingerprint
    from persons
    left join headers using (batch_id)
    left join first_requests using (batch_id, person_seq)
)

select * from final
