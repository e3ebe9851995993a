with

source as (
    {{ current_batch_rows(source('raw', 'case_requests'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.request_id,
        source.person_id,
        source.received_date as received_on,
        source.request_source,
        coalesce(source.rya, false) as is_young_person_request,
        source.request_outcome,
        source.request_outcome_date as request_outcome_on,
        coalesce(source.request_mediation, false) as has_request_mediation,
        coalesce(source.request_tribunal, false) as has_request_tribunal
    from source
),

final as (
    select * from renamed
)

select * from final
