with

source as (
    select * from {{ source('raw', 'case_ceased_plans') }}
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
        plan_id,
        cease_date as cease_on,
        cease_reason
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
