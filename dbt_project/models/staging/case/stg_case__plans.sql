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
        source.plan_id,
        source.request_id,
        source.person_id,
        source.start_date as start_on,
        source.plan_res,
        source.plan_wbp,
        source.pb as has_personal_budget,
        source.oa as has_other_arrangements,
        source.dp as direct_payments
    from source
),

final as (
    select * from renamed
)

select * from final
