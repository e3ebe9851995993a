-- Identifiers (UPN, ULN, names, birth date, postcode): built in the restricted pii schema,
-- never in staging, which is the engineer's but read more widely than pii (issue 14).
{{ config(schema='pii') }}
with

source as (
    {{ current_batch_rows(source('raw', 'case_persons'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.person_id,
        upper(nullif(trim(upn), '')) as upn,
        nullif(trim(uln), '') as uln,
        source.upn_unknown,
        source.surname,
        source.forename,
        source.birth_date as birth_on,
        source.sex,
        source.ethnicity,
        upper(trim(postcode)) as postcode
    from source
),

final as (
    select * from renamed
)

select * from final
