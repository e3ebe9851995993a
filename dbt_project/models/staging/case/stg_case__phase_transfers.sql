with

source as (
    {{ current_batch_rows(source('raw', 'case_phase_transfers'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.phase_transfer_id,
        source.plan_id,
        source.phase_transfer,
        source.transfer_date as transfer_on,
        source.due_date as recorded_due_on,
        source.final_date as final_on
    from source
),

final as (
    select * from renamed
)

select * from final
