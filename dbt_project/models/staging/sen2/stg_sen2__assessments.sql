with

source as (
    {{ current_batch_rows(source('raw', 'sen2_assessments'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.request_seq,
        source.assessment_outcome,
        source.assessment_outcome_date as assessment_outcome_on,
        coalesce(source.assessment_mediation, false) as has_assessment_mediation,
        coalesce(source.assessment_tribunal, false) as has_assessment_tribunal,
        coalesce(source.other_mediation, false) as has_other_mediation,
        coalesce(source.other_tribunal, false) as has_other_tribunal,
        coalesce(source.week20, false) as has_week20_exception
    from source
),

final as (
    select * from renamed
)

select * from final
