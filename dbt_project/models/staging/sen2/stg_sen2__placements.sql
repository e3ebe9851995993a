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
        person_seq,
        request_seq,
        placement_seq,
        urn,
        ukprn,
        sen_setting,
        sen_setting_other,
        placement_rank::int as placement_rank,
        entry_date as entry_on,
        leaving_date as leaving_on,
        sen_unit as is_sen_unit,
        resourced_provision as is_resourced_provision,
        res,
        wbp
    from source
),

final as (
    select * from renamed
)

select * from final
