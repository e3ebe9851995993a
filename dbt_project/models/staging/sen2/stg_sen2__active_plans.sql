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
        source.person_seq,
        source.request_seq,
        source.transfer_la,
        source.review_meeting as review_meeting_on,
        source.review_outcome,
        source.last_review as last_review_on,
        source.review_draft as review_draft_on,
        source.phase_transfer_due_date as phase_transfer_due_on,
        source.phase_transfer_final_date as phase_transfer_final_on,
        source.res as active_plan_res,
        source.wbp as active_plan_wbp
    from source
),

final as (
    select * from renamed
)

select * from final
