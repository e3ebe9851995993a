-- Ledger lines of the current (loaded, not superseded) monthly batches. Amounts keep the
-- ledger's sign: spend positive, income and credit notes negative. Lines posted to a
-- statistical subjective (seeds/finance/statistical_subjectives.csv) carry a count of
-- activity, not money: their value is in `activity_units` and `amount_gbp` is null.
with

source as (
    {{ current_batch_rows(source('raw', 'ledger_lines'), 'ledger') }}
),

statistical_subjectives as (
    select * from {{ ref('statistical_subjectives') }}
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
        statistical_subjectives.subjective is not null as is_statistical,
        case when statistical_subjectives.subjective is null then source.amount_gbp end as amount_gbp,
        case when statistical_subjectives.subjective is not null then source.amount_gbp end
        as activity_units
    from source
    left join statistical_subjectives on source.subjective = statistical_subjectives.subjective
),

final as (
    select * from renamed
)

select * from final
