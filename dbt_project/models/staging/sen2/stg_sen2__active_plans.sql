with

source as (
    {{ current_batch_rows(source('raw', 'sen2_active_plans'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        person_seq,
        request_seq,
        transfer_la,
        review_meeting as review_meeting_on,
        review_outcome,
        last_review as last_review_on
    from source
),

final as (
    select * from renamed
)

select * from final
