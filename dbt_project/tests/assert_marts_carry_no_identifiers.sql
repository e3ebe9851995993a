-- Pseudonymisation: no table in marts has a column that identifies a person.
select table_name, column_name
from information_schema.columns
where table_schema = 'marts'
    and column_name in ('upn', 'uln', 'surname', 'forename', 'birth_on', 'birth_date',
                        'postcode', 'person_ref', 'person_id')
