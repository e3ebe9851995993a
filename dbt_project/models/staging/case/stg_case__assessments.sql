with

source as (
    select * from {{ source('raw', 'case_assessments') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'case' and is_latest_extract
),

renamed as (
    select
        source.batch_id,
        source.borough,
        batches.period::date as extract_on,
        source.source_row,
        request_id,
        assessment_outcome,
        assessment_outcome_date as assessment_outcome_on,
        coalesce(week20, false) as has_week20_exception,
        coalesce(assessment_mediation, false) as has_assessment_mediation,
        coalesce(assessment_tribunal, false) as has_assessment_tribunal
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
