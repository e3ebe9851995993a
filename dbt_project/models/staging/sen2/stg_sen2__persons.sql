-- Identifiers (UPN, ULN, names, birth date, postcode): built in the restricted pii schema,
-- never in staging, which is the engineer's but read more widely than pii (issue 14).
{{ config(schema='pii') }}
with

source as (
    {{ current_batch_rows(source('raw', 'sen2_persons'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.surname,
        source.forename,
        source.birth_date as birth_on,
        source.sex,
        source.ethnicity,
        upper(trim(postcode)) as postcode,
        upper(nullif(trim(upn), '')) as upn,
        nullif(trim(uln), '') as uln,
        source.upn_unknown
    from source
),

final as (
    select * from renamed
)

select * from final
