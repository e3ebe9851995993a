with

source as (
    select * from {{ source('raw', 'ledger_lines') }}
),

batches as (
    select * from {{ ref('stg_audit__current_batches') }}
    where source_kind = 'ledger'
),

renamed as (
    select
        source.batch_id,
        source.borough,
        source.source_row,
        source.fiscal_year as fiscal_year_start,
        source.fiscal_year || '/' || lpad(((source.fiscal_year + 1) % 100)::text, 2, '0') as fiscal_year,
        source.period,
        source.cost_centre,
        source.subjective,
        source.value_type,
        source.amount_gbp
    from source
    inner join batches using (batch_id)
),

final as (
    select * from renamed
)

select * from final
