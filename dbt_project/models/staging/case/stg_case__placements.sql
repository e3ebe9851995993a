with

source as (
    select * from {{ source('raw', 'case_placements') }}
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
        placement_id,
        plan_id,
        urn,
        ukprn,
        sen_setting,
        placement_rank::int as placement_rank,
        entry_date as entry_on,
        leaving_date as leaving_on,
        sen_unit as is_sen_unit,
        resourced_provision as is_resourced_provision
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
