-- Savings achieved by line, fiscal year and period (year to date), measured from the
-- ledgers of every borough (seeds/finance/savings_measures.csv says how):
--   activity_unit_cost (demand-led lines): a baseline unit cost = baseline year's actual
--     spend / its activity (statistical ledger lines); expected cost to date = activity to
--     date x baseline unit cost (uplifted by var finance.unit_cost_uplift a year);
--     achieved to date = expected cost to date - actual spend to date. A budget cut alone
--     achieves nothing, and a change in demand is neither a saving nor a loss.
--   baseline_spend: the same with the month as the unit: expected cost to date = the
--     baseline year's average monthly actual spend x periods to date.
-- Forecast for the year: activity at its run rate (to date x 12 / periods) times the unit
-- cost, less spend to date plus the ledger's forecast for the remaining periods at its
-- run rate (forecast to date / periods x remaining periods). At period 12 (the year-end)
-- forecast = achieved. Target to date = the year's target x periods / 12; undeliverable =
-- what the rest of the year cannot recover even at plan (target to date - achieved to date);
-- at risk = the rest of the forecast shortfall.
{%- set finance = var('finance') %}
with

lines as (
    select * from {{ ref('int_ledger_lines_mapped') }}
    where
        savings_line is not null
        and value_type in ('actual', 'forecast')
),

activity as (
    select * from {{ ref('int_ledger_activity') }}
),

measures as (
    select * from {{ ref('savings_measures') }}
),

plan as (
    select * from {{ ref('business_case_savings') }}
),

periods as (
    select * from {{ ref('int_ledger_periods') }}
    where borough = 'ALL'
),

money_by_period as (
    select
        savings_line,
        fiscal_year_start,
        period,
        coalesce(sum(amount_gbp) filter (where value_type = 'actual'), 0) as actual_gbp,
        coalesce(sum(amount_gbp) filter (where value_type = 'forecast'), 0) as forecast_gbp
    from lines
    group by 1, 2, 3
),

activity_by_period as (
    select
        savings_line,
        fiscal_year_start,
        period,
        sum(activity_units) as activity_units
    from activity
    group by 1, 2, 3
),

line_periods as (
    -- every line in every period loaded, from its baseline year on
    select
        plan.savings_line,
        measures.measure_method,
        measures.baseline_fiscal_year_start,
        plan.first_fiscal_year_start,
        plan.annual_saving_gbp_000 * 1000 as annual_target_gbp,
        periods.fiscal_year_start,
        periods.fiscal_year,
        period::int as period
    from plan
    inner join measures using (savings_line)
    inner join periods on measures.baseline_fiscal_year_start <= periods.fiscal_year_start
    cross join generate_series(1, periods.latest_period) as period
),

by_period as (
    select
        line_periods.*,
        coalesce(money_by_period.actual_gbp, 0) as actual_gbp,
        coalesce(money_by_period.forecast_gbp, 0) as forecast_gbp,
        case
            when line_periods.measure_method = 'baseline_spend' then 1
            else coalesce(activity_by_period.activity_units, 0)
        end as activity_units
    from line_periods
    left join money_by_period using (savings_line, fiscal_year_start, period)
    left join activity_by_period using (savings_line, fiscal_year_start, period)
),

to_date as (
    select
        *,
        sum(actual_gbp) over year_to_date as spend_to_date_gbp,
        sum(forecast_gbp) over year_to_date as forecast_spend_to_date_gbp,
        sum(activity_units) over year_to_date as activity_to_date
    from by_period
    window year_to_date as (
        partition by savings_line, fiscal_year_start
        order by period
        rows between unbounded preceding and current row
    )
),

baselines as (
    select
        savings_line,
        sum(actual_gbp) as baseline_spend_gbp,
        sum(activity_units) as baseline_activity,
        sum(actual_gbp) / nullif(sum(activity_units), 0) as baseline_unit_cost_gbp
    from by_period
    where fiscal_year_start = baseline_fiscal_year_start
    group by 1
),

measured as (
    select
        to_date.savings_line,
        to_date.measure_method,
        to_date.fiscal_year_start,
        to_date.fiscal_year,
        to_date.period,
        case
            when to_date.fiscal_year_start >= to_date.first_fiscal_year_start
                then to_date.annual_target_gbp
            else 0
        end as target_year_gbp,
        to_date.activity_to_date,
        baselines.baseline_unit_cost_gbp
        * power(
            1 + {{ finance['unit_cost_uplift'] }},
            to_date.fiscal_year_start - to_date.baseline_fiscal_year_start
        )
        as unit_cost_gbp,
        to_date.spend_to_date_gbp,
        to_date.forecast_spend_to_date_gbp
    from to_date
    inner join baselines using (savings_line)
    where to_date.fiscal_year_start >= to_date.first_fiscal_year_start
),

final as (
    select
        savings_line,
        measure_method,
        fiscal_year_start,
        fiscal_year,
        period,
        target_year_gbp,
        target_year_gbp * period / 12 as target_to_date_gbp,
        activity_to_date,
        unit_cost_gbp,
        activity_to_date * unit_cost_gbp as expected_cost_to_date_gbp,
        spend_to_date_gbp,
        activity_to_date * unit_cost_gbp - spend_to_date_gbp as achieved_to_date_gbp,
        activity_to_date * 12 / period * unit_cost_gbp
        - (spend_to_date_gbp + forecast_spend_to_date_gbp / period * (12 - period))
        as forecast_year_gbp
    from measured
)

select * from final
