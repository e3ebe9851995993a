with

source as (
    {{ current_batch_rows(source('raw', 'sen2_requests'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.request_seq,
        source.received_date as received_on,
        source.request_source,
        coalesce(source.rya, false) as is_young_person_request,
        source.request_outcome_date as request_outcome_on,
        source.request_outcome,
        coalesce(source.request_mediation, false) as has_request_mediation,
        coalesce(source.request_tribunal, false) as has_request_tribunal
    from source
),

final as (
    select * from renamed
)

select * from final
