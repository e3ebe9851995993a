with

source as (
    {{ current_batch_rows(source('raw', 'case_needs'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.person_id,
        source.need_type,
        need_rank::int as need_rank,
        source.recorded_date as recorded_on
    from source
),

final as (
    select * from renamed
)

select * from final
