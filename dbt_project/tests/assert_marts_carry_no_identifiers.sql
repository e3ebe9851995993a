-- Pseudonymisation: no table in the marts being built (later published as `marts`) has a
-- column that identifies a person.
select
    table_name,
    column_name
from information_schema.columns
where
    table_schema = '{{ var("marts_build_schema", "marts_build") }}'
    and column_name in (
        'upn', 'uln', 'surname', 'forename', 'birth_on', 'birth_date',
        'postcode', 'person_ref', 'person_id'
    )
