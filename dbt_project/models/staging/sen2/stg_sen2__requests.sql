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
        person_seq,
        request_seq,
        received_date as received_on,
        request_source,
        coalesce(rya, false) as is_young_person_request,
        request_outcome_date as request_outcome_on,
        request_outcome,
        coalesce(request_mediation, false) as has_request_mediation,
        coalesce(request_tribunal, false) as has_request_tribunal
    from source
),

final as (
    select * from renamed
)

select * from final
