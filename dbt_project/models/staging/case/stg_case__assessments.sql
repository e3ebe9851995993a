with

source as (
    {{ current_batch_rows(source('raw', 'case_assessments'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.request_id,
        source.assessment_outcome,
        source.assessment_outcome_date as assessment_outcome_on,
        coalesce(source.week20, false) as has_week20_exception,
        coalesce(source.assessment_mediation, false) as has_assessment_mediation,
        coalesce(source.assessment_tribunal, false) as has_assessment_tribunal
    from source
),

final as (
    select * from renamed
)

select * from final
