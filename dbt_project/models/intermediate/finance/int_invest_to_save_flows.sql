-- Investment and savings by investment line (and ALL) and fiscal year, planned and actual,
-- with the discount factor at var finance.discount_rate from the plan's first year.
-- Planned: int_business_case_flows. Actual investment: ledger actuals on cost centres
-- mapped to an investment line (every borough). Actual savings: achieved to the latest
-- period loaded of each year (int_savings_measured, all lines); null for years not reached.
{%- set finance = var('finance') %}
with

plan as (
    select * from {{ ref('int_business_case_flows') }}
),

lines as (
    select * from {{ ref('int_ledger_lines_mapped') }}
    where
        invest_line is not null
        and value_type = 'actual'
),

measured as (
    select * from {{ ref('int_savings_measured') }}
),

periods as (
    select * from {{ ref('int_ledger_periods') }}
    where borough = 'ALL'
),

plan_years as (
    select
        min(fiscal_year_start) as first_fiscal_year_start,
        min(fiscal_year_start) filter (where savings_year = 1) as first_savings_fiscal_year_start,
        max(fiscal_year_start) as last_fiscal_year_start
    from plan
),

years as (
    select distinct
        fiscal_year_start,
        year_index,
        savings_year
    from plan
    union
    -- ledger years after the appraisal period
    select
        periods.fiscal_year_start,
        periods.fiscal_year_start - plan_years.first_fiscal_year_start as year_index,
        periods.fiscal_year_start - plan_years.first_savings_fiscal_year_start + 1 as savings_year
    from periods
    cross join plan_years
    where periods.fiscal_year_start > plan_years.last_fiscal_year_start
),

invest_lines as (
    select distinct line from plan
    where flow = 'investment'
    union
    select distinct invest_line from lines
),

planned_investment as (
    select
        line,
        fiscal_year_start,
        sum(planned_gbp) as planned_gbp
    from plan
    where flow = 'investment'
    group by 1, 2
),

actual_investment as (
    select
        invest_line as line,
        fiscal_year_start,
        sum(amount_gbp) as actual_gbp
    from lines
    group by 1, 2
),

planned_savings as (
    select
        fiscal_year_start,
        sum(planned_gbp) as planned_gbp
    from plan
    where flow = 'savings'
    group by 1
),

actual_savings as (
    select
        measured.fiscal_year_start,
        max(periods.latest_period) as periods_loaded,
        sum(measured.achieved_to_date_gbp) as actual_gbp
    from measured
    inner join periods
        on
            measured.fiscal_year_start = periods.fiscal_year_start
            and measured.period = periods.latest_period
    group by 1
),

by_line as (
    select
        invest_lines.line,
        years.fiscal_year_start,
        years.year_index,
        years.savings_year,
        coalesce(planned_investment.planned_gbp, 0) as planned_investment_gbp,
        coalesce(actual_investment.actual_gbp, 0) as actual_investment_gbp,
        null::numeric as planned_savings_gbp,
        null::numeric as actual_savings_gbp
    from invest_lines
    cross join years
    left join planned_investment using (line, fiscal_year_start)
    left join actual_investment using (line, fiscal_year_start)
),

programme_investment as (
    {{ all_rows('by_line',
        columns=['line', 'fiscal_year_start', 'year_index', 'savings_year'],
        measures=['planned_investment_gbp', 'actual_investment_gbp'],
        over='line') }}
),

programme as (
    select
        programme_investment.line,
        programme_investment.fiscal_year_start,
        programme_investment.year_index,
        programme_investment.savings_year,
        programme_investment.planned_investment_gbp,
        programme_investment.actual_investment_gbp,
        coalesce(planned_savings.planned_gbp, 0) as planned_savings_gbp,
        actual_savings.actual_gbp as actual_savings_gbp
    from programme_investment
    left join planned_savings using (fiscal_year_start)
    left join actual_savings using (fiscal_year_start)
),

flows as (
    select * from by_line
    union all
    select * from programme
),

final as (
    select
        flows.*,
        periods.latest_period as periods_loaded,
        1 / power(1 + {{ finance['discount_rate'] }}, flows.year_index) as discount_factor
    from flows
    left join periods using (fiscal_year_start)
)

select * from final
