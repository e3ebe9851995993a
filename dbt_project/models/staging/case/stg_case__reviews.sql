with

source as (
    {{ current_batch_rows(source('raw', 'case_reviews'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.review_id,
        source.plan_id,
        source.review_date as review_on,
        source.review_outcome,
        source.decision_date as decision_on,
        source.draft_plan_date as draft_plan_on,
        source.final_plan_date as final_plan_on
    from source
),

final as (
    select * from renamed
)

select * from final
