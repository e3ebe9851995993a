with

source as (
    {{ current_batch_rows(source('raw', 'case_plans'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
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
),

final as (
    select * from renamed
)

select * from final
