-- DfE's published statistics, one row per published cell. Where two releases publish the
-- same cell, the later release wins.
with

source as (
    {{ current_batch_rows(source('raw', 'dfe_ehcp'), 'dfe') }}
),

renamed as (
    select
        source.batch_id,
        source.release,
        replace(source.file_name, '.csv', '') as publication_file,
        source.time_period,
        source.time_identifier,
        source.geographic_level,
        source.new_la_code,
        source.old_la_code,
        source.la_name,
        source.region_name,
        source.breakdown_topic,
        source.breakdown,
        source.measure,
        source.value,
        source.marker as suppression_marker
    from source
),

final as (
    select * from renamed
)

select * from final
