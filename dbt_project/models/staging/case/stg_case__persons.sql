with

source as (
    select * from {{ source('raw', 'case_persons') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'case' and is_latest_extract
),

renamed as (
    select
        source.batch_id,
        source.borough,
        batches.period::date as extract_on,
        source.source_row,
        person_id,
        upper(nullif(trim(upn), '')) as upn,
        nullif(trim(uln), '') as uln,
        upn_unknown,
        surname,
        forename,
        birth_date as birth_on,
        sex,
        ethnicity,
        upper(trim(postcode)) as postcode
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
