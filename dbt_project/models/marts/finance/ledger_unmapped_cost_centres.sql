-- Cost centres in the ledgers that cost_centre_map does not know, by borough: reported,
-- never dropped. Their lines stay in high_needs_spend as s251_line 'unmapped' until the
-- map is extended; the quality gate cost_centres_mapped warns while any remain.
with

lines as (
    select * from {{ ref('int_ledger_lines_mapped') }}
    where not is_mapped
),

final as (
    select
        borough,
        cost_centre,
        min(fiscal_year) as first_fiscal_year,
        max(fiscal_year) as last_fiscal_year,
        count(*)::int as ledger_lines,
        round(coalesce(sum(amount_gbp) filter (where value_type = 'actual'), 0), 2) as actual_gbp,
        round(coalesce(sum(amount_gbp) filter (where value_type = 'budget'), 0), 2) as budget_gbp
    from lines
    group by 1, 2
)

select * from final
