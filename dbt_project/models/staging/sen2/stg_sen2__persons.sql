with

source as (
    select * from {{ source('raw', 'sen2_persons') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'sen2'
),

renamed as (
    select
        source.batch_id,
        source.borough,
        batches.period::int as return_year,
        source.source_row,
        person_seq,
        surname,
        forename,
        birth_date as birth_on,
        sex,
        ethnicity,
        upper(trim(postcode)) as postcode,
        upper(nullif(trim(upn), '')) as upn,
        nullif(trim(uln), '') as uln,
        upn_unknown
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
