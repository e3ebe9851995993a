-- Money lines of the ledgers with their cost centre's mapping (seed cost_centre_map): S251
-- line, savings line, investment line and placement group (the cost centre's own, else its
-- S251 line's default from seeds/finance/s251_lines.csv). A cost centre with no mapping
-- keeps its lines here with is_mapped = false (reported in ledger_unmapped_cost_centres),
-- so nothing is dropped silently. Amounts keep the ledger's sign: income and credit notes
-- are negative and net off the spend.
{{ config(**borough_incremental()) }}
with

lines as (
    select * from {{ ref('stg_ledger__lines') }}
    where not is_statistical and {{ in_changed_boroughs() }}
),

cost_centres as (
    select * from {{ ref('cost_centre_map') }}
),

s251_lines as (
    select * from {{ ref('s251_lines') }}
),

mapped as (
    select
        lines.borough,
        lines.fiscal_year_start,
        lines.fiscal_year,
        lines.period,
        lines.cost_centre,
        lines.subjective,
        lines.value_type,
        lines.amount_gbp,
        cost_centres.cost_centre is not null as is_mapped,
        cost_centres.s251_line,
        nullif(cost_centres.savings_line, '') as savings_line,
        nullif(cost_centres.invest_line, '') as invest_line,
        coalesce(nullif(cost_centres.placement_group, ''), s251_lines.placement_group) as placement_group,
        lines.batch_id,
        lines.source_row
    from lines
    left join cost_centres
        on
            lines.borough = cost_centres.borough
            and lines.cost_centre = cost_centres.cost_centre
    left join s251_lines on cost_centres.s251_line = s251_lines.s251_line
),

final as (
    select * from mapped
)

select * from final
