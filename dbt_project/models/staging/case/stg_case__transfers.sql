with

source as (
    {{ current_batch_rows(source('raw', 'case_transfers'), 'case') }}
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.batch_period::date as extract_on,
        source.source_row,
        source.transfer_id,
        source.person_id,
        source.statement_date as statement_on,
        source.review_start_date as review_started_on,
        source.transfer_date as transfer_on,
        source.transfer_outcome
    from source
),

final as (
    select * from renamed
)

select * from final
