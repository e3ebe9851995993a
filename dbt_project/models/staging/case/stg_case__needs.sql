with

source as (
    select * from {{ source('raw', 'case_needs') }}
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
        person_id,
        need_type,
        need_rank::int as need_rank,
        recorded_date as recorded_on
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
