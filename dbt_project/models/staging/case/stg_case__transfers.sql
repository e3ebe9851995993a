with

source as (
    select * from {{ source('raw', 'case_transfers') }}
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
        transfer_id,
        person_id,
        statement_date as statement_on,
        review_start_date as review_started_on,
        transfer_date as transfer_on,
        transfer_outcome
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
