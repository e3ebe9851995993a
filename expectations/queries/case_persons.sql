-- One row per person in the borough's latest case extract: identifiers, and age at the
-- first contact with the service.
with

persons as (
    select * from pii.stg_case__persons
    where borough = {borough}
),

first_contacts as (
    -- the first request, or for a statement transferred to a plan the statement's date
    select person_id, min(contact_on) as first_contact_on
    from (
        select person_id, received_on as contact_on from staging.stg_case__requests
        where borough = {borough}
        union all
        select person_id, coalesce(statement_on, review_started_on) from staging.stg_case__transfers
        where borough = {borough}
    ) as contacts
    group by 1
),

final as (
    select
        persons.batch_id,
        persons.source_row,
        persons.upn is not null or persons.uln is not null or persons.upn_unknown is not null
            as has_identifier,
        audit.upn_is_valid(persons.upn) as upn_check_ok,
        audit.uln_is_valid(persons.uln) as uln_check_ok,
        extract(year from age(coalesce(first_contacts.first_contact_on, persons.extract_on),
                              persons.birth_on))::int as age_at_first_contact
    from persons
    left join first_contacts using (person_id)
)

select * from final
