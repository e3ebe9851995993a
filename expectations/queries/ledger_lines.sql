-- Every line of the borough's current ledger batches: period and fiscal year.
with

lines as (
    select * from staging.stg_ledger__lines
    where borough = {borough}
),

run_fiscal_year as (
    -- April to March: January 2027 is in fiscal year 2026
    select extract(year from {run_date}::date - interval '3 months')::int as fiscal_year_start
),

final as (
    select
        lines.batch_id,
        lines.source_row,
        lines.period,
        lines.fiscal_year_start,
        lines.fiscal_year_start - run_fiscal_year.fiscal_year_start as years_after_run_fiscal_year
    from lines
    cross join run_fiscal_year
)

select * from final
