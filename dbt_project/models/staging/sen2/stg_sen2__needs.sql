with

source as (
    select * from {{ source('raw', 'sen2_needs') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'sen2'
),

renamed as (
    select
        source.batch_id,
        source.borough,
        batches.period::int as return_year,
        source.source_row,
        person_seq,
        request_seq,
        sen_type as need_type,
        sen_type_rank::int as need_rank
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
