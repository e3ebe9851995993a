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
        request_id,
        person_id,
        received_date as received_on,
        request_source,
        coalesce(rya, false) as is_young_person_request,
        request_outcome,
        request_outcome_date as request_outcome_on,
        coalesce(request_mediation, false) as has_request_mediation,
        coalesce(request_tribunal, false) as has_request_tribunal
    from source
),

final as (
    select * from renamed
)

select * from final
