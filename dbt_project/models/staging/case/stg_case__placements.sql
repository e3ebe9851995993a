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
        source.placement_id,
        source.plan_id,
        source.urn,
        source.ukprn,
        source.sen_setting,
        placement_rank::int as placement_rank,
        source.entry_date as entry_on,
        source.leaving_date as leaving_on,
        source.sen_unit as is_sen_unit,
        source.resourced_provision as is_resourced_provision
    from source
),

final as (
    select * from renamed
)

select * from final
