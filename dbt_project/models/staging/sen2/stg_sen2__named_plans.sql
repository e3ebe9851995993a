with

source as (
    {{ current_batch_rows(source('raw', 'sen2_named_plans'), 'sen2') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::int as return_year,
        source.source_row,
        source.person_seq,
        source.request_seq,
        source.start_date as start_on,
        source.plan_res,
        source.plan_wbp,
        source.pb as has_personal_budget,
        source.oa as has_other_arrangements,
        source.dp as direct_payments,
        source.cease_date as cease_on,
        source.cease_reason
    from source
),

final as (
    select * from renamed
)

select * from final
