with

source as (
    select * from {{ source('raw', 'case_reviews') }}
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
        review_id,
        plan_id,
        review_date as review_on,
        review_outcome
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
