-- The business case's planned flows by fiscal year, from its first investment year to the
-- end of its appraisal period (var finance.appraisal_years savings years): investment by
-- line as printed (seeds/finance/business_case_investment.csv, £000 -> £) and recurring
-- savings by line from each line's first year (business_case_savings.csv). Totals are
-- computed from the lines, never taken from the case's printed totals.
{%- set finance = var('finance') %}
with

investment as (
    select * from {{ ref('business_case_investment') }}
),

savings as (
    select * from {{ ref('business_case_savings') }}
),

bounds as (
    select
        (select min(fiscal_year_start) from investment) as first_year,
        (select min(first_fiscal_year_start) from savings) as first_savings_year
),

years as (
    select
        series.fiscal_year_start::int as fiscal_year_start,
        (series.fiscal_year_start - bounds.first_year)::int as year_index,
        case
            when series.fiscal_year_start >= bounds.first_savings_year
                then (series.fiscal_year_start - bounds.first_savings_year + 1)::int
        end as savings_year
    from bounds
    cross join generate_series(
        bounds.first_year,
        bounds.first_savings_year + {{ finance['appraisal_years'] }} - 1
    ) as series (fiscal_year_start)
),

investment_by_line as (
    select
        'investment' as flow,
        invest_line as line,
        fiscal_year_start,
        amount_gbp_000 * 1000 as planned_gbp
    from investment
),

savings_by_line as (
    select
        'savings' as flow,
        savings.savings_line as line,
        years.fiscal_year_start,
        savings.annual_saving_gbp_000 * 1000 as planned_gbp
    from savings
    inner join years
        on
            savings.first_fiscal_year_start <= years.fiscal_year_start
            and years.savings_year is not null
),

flows as (
    select * from investment_by_line
    union all
    select * from savings_by_line
),

final as (
    select
        flows.flow,
        flows.line,
        years.fiscal_year_start,
        years.fiscal_year_start || '/' || lpad(((years.fiscal_year_start + 1) % 100)::text, 2, '0')
        as fiscal_year,
        years.year_index,
        years.savings_year,
        flows.planned_gbp
    from flows
    inner join years using (fiscal_year_start)
)

select * from final
