with

source as (
    {{ current_batch_rows(source('raw', 'case_placements'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
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
),

final as (
    select * from renamed
)

select * from final
