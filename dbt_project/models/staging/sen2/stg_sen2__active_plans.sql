with

source as (
    select * from {{ source('raw', 'sen2_active_plans') }}
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
        request_seq,
        transfer_la,
        review_meeting as review_meeting_on,
        review_outcome,
        last_review as last_review_on
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
