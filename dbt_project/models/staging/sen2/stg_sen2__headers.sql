with

source as (
    {{ current_batch_rows(source('raw', 'sen2_headers'), 'sen2') }}
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
),

final as (
    select * from renamed
)

select * from final
