with

source as (
    select * from {{ source('raw', 'case_plans') }}
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
        plan_id,
        request_id,
        person_id,
        start_date as start_on,
        plan_res,
        plan_wbp,
        pb as has_personal_budget,
        oa as has_other_arrangements,
        dp as direct_payments
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
