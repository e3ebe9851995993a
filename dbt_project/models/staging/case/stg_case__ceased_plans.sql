with

source as (
    {{ current_batch_rows(source('raw', 'case_ceased_plans'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.plan_id,
        source.cease_date as cease_on,
        source.cease_reason
    from source
),

final as (
    select * from renamed
)

select * from final
