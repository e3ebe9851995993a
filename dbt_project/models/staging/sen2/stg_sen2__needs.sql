with

source as (
    {{ current_batch_rows(source('raw', 'sen2_needs'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.request_seq,
        source.sen_type as need_type,
        source.sen_type_rank::int as need_rank
    from source
),

final as (
    select * from renamed
)

select * from final
