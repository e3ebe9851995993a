with

source as (
    select * from {{ source('raw', 'sen2_headers') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'sen2'
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.year as return_year,
        source.reference_date as reference_on,
        source.lea,
        source.software_code,
        source.generated_at
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
