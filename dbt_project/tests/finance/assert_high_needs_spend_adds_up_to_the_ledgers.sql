-- Every money line of the ledgers reaches high_needs_spend (mapped or 'unmapped'): per
-- borough and fiscal year, actuals and budgets equal the staging ledger's.
with

ledger as (
    select
        borough,
        fiscal_year_start,
        coalesce(sum(amount_gbp) filter (where value_type = 'actual'), 0) as actual_gbp,
        coalesce(sum(amount_gbp) filter (where value_type = 'budget'), 0) as budget_gbp
    from {{ ref('stg_ledger__lines') }}
    where not is_statistical
    group by 1, 2
),

mart as (
    select
        borough,
        fiscal_year_start,
        sum(actual_gbp) as actual_gbp,
        sum(budget_to_date_gbp) as budget_gbp
    from {{ ref('high_needs_spend') }}
    where borough <> 'ALL'
    group by 1, 2
)

select
    borough,
    fiscal_year_start,
    ledger.actual_gbp as ledger_actual_gbp,
    mart.actual_gbp as mart_actual_gbp,
    ledger.budget_gbp as ledger_budget_gbp,
    mart.budget_gbp as mart_budget_gbp
from ledger
full join mart using (borough, fiscal_year_start)
where
    ledger.actual_gbp is distinct from mart.actual_gbp
    or ledger.budget_gbp is distinct from mart.budget_gbp
