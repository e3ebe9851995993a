with

source as (
    select * from {{ source('raw', 'sen2_assessments') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'sen2'
),

renamed as (
    select
        source.batch_id,
        source.borough,
        batches.period::int as return_year,
        source.source_row,
        person_seq,
        request_seq,
        assessment_outcome,
        assessment_outcome_date as assessment_outcome_on,
        coalesce(assessment_mediation, false) as has_assessment_mediation,
        coalesce(assessment_tribunal, false) as has_assessment_tribunal,
        coalesce(other_mediation, false) as has_other_mediation,
        coalesce(other_tribunal, false) as has_other_tribunal,
        coalesce(week20, false) as has_week20_exception
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
