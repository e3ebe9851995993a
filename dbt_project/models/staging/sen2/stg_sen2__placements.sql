with

source as (
    {{ current_batch_rows(source('raw', 'sen2_placements'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.request_seq,
        source.placement_seq,
        source.urn,
        source.ukprn,
        source.sen_setting,
        source.sen_setting_other,
        placement_rank::int as placement_rank,
        source.entry_date as entry_on,
        source.leaving_date as leaving_on,
        source.sen_unit as is_sen_unit,
        source.resourced_provision as is_resourced_provision,
        source.res,
        source.wbp,
        source.attendance_pattern
    from source
),

final as (
    select * from renamed
)

select * from final
