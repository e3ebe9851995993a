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
        person_seq,
        request_seq,
        start_date as start_on,
        plan_res,
        plan_wbp,
        pb as has_personal_budget,
        oa as has_other_arrangements,
        dp as direct_payments,
        cease_date as cease_on,
        cease_reason
    from source
),

final as (
    select * from renamed
)

select * from final
