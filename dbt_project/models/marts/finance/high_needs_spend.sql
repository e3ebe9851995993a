-- High-needs and SEND spend by borough (and ALL), fiscal year and S251 line, from the
-- ledgers: budget and forecast for the full year, actuals and commitments to date, the
-- variance (forecast - budget; positive = overspend) and a RAG status. Lines of cost
-- centres with no mapping are kept as s251_line 'unmapped' so that the mart adds up to
-- the ledgers (see ledger_unmapped_cost_centres).
-- Full-year figures for a year not yet closed: budget = budget to date x 12 / periods
-- loaded; forecast = actuals to date + the ledger's forecast for the remaining periods at
-- its run rate (forecast to date / periods x remaining periods); at period 12 the forecast
-- is the outturn (actuals). RAG (vars finance.spend_rag_*): variance / budget above
-- red_over (2%) red, above amber_over (0%) amber, else green.
{%- set finance = var('finance') %}
with

lines as (
    select * from {{ ref('int_ledger_lines_mapped') }}
),

periods as (
    select * from {{ ref('int_ledger_periods') }}
),

s251_lines as (
    select * from {{ ref('s251_lines') }}
),

by_borough as (
    select
        borough,
        fiscal_year_start,
        coalesce(s251_line, 'unmapped') as s251_line,
        coalesce(sum(amount_gbp) filter (where value_type = 'budget'), 0) as budget_to_date_gbp,
        coalesce(sum(amount_gbp) filter (where value_type = 'actual'), 0) as actual_gbp,
        coalesce(sum(amount_gbp) filter (where value_type = 'commitment'), 0) as commitment_gbp,
        coalesce(sum(amount_gbp) filter (where value_type = 'forecast'), 0) as forecast_to_date_gbp
    from lines
    group by 1, 2, 3
),

borough_projected as (
    select
        by_borough.borough,
        by_borough.fiscal_year_start,
        periods.fiscal_year,
        by_borough.s251_line,
        periods.latest_period,
        by_borough.budget_to_date_gbp,
        by_borough.actual_gbp,
        by_borough.commitment_gbp,
        by_borough.budget_to_date_gbp * 12 / periods.latest_period as budget_gbp,
        by_borough.actual_gbp
        + by_borough.forecast_to_date_gbp / periods.latest_period * (12 - periods.latest_period)
        as forecast_gbp
    from by_borough
    inner join periods using (borough, fiscal_year_start)
),

tri_borough_totals as (
-- ALL is projected from each borough's own periods: the sum of the boroughs' projections
    {{ all_rows('borough_projected',
        columns=['borough', 'fiscal_year_start', 'fiscal_year', 's251_line'],
        measures=['budget_to_date_gbp', 'actual_gbp', 'commitment_gbp', 'budget_gbp', 'forecast_gbp']) }}
),

tri_borough_projected as (
    -- ALL's latest period is the latest every borough has reached (int_ledger_periods)
    select
        tri_borough_totals.borough,
        tri_borough_totals.fiscal_year_start,
        tri_borough_totals.fiscal_year,
        tri_borough_totals.s251_line,
        periods.latest_period,
        tri_borough_totals.budget_to_date_gbp,
        tri_borough_totals.actual_gbp,
        tri_borough_totals.commitment_gbp,
        tri_borough_totals.budget_gbp,
        tri_borough_totals.forecast_gbp
    from tri_borough_totals
    inner join periods using (borough, fiscal_year_start)
),

projected as (
    select * from borough_projected
    union all
    select * from tri_borough_projected
),

rated as (
    select
        projected.*,
        projected.forecast_gbp - projected.budget_gbp as variance_gbp,
        (projected.forecast_gbp - projected.budget_gbp) / nullif(projected.budget_gbp, 0) as variance_ratio
    from projected
),

final as (
    select
        rated.borough,
        rated.fiscal_year_start::int as fiscal_year_start,
        rated.fiscal_year,
        rated.s251_line,
        coalesce(s251_lines.description, 'Cost centres with no mapping in cost_centre_map') as s251_description,
        coalesce(s251_lines.is_high_needs_block, false) as is_high_needs_block,
        rated.latest_period::int as periods_loaded,
        rated.latest_period = 12 as is_year_closed,
        round(rated.budget_gbp, 2) as budget_gbp,
        round(rated.budget_to_date_gbp, 2) as budget_to_date_gbp,
        round(rated.actual_gbp, 2) as actual_gbp,
        round(rated.commitment_gbp, 2) as commitment_gbp,
        round(rated.forecast_gbp, 2) as forecast_gbp,
        round(rated.variance_gbp, 2) as variance_gbp,
        round(100 * rated.variance_ratio, 1) as variance_pct,
        case
            when rated.s251_line = 'unmapped' then 'red'
            when rated.budget_gbp <= 0 and rated.forecast_gbp > rated.budget_gbp then 'red'
            when rated.variance_ratio > {{ finance['spend_rag_red_over'] }} then 'red'
            when rated.variance_ratio > {{ finance['spend_rag_amber_over'] }} then 'amber'
            else 'green'
        end as rag_status
    from rated
    left join s251_lines using (s251_line)
)

select * from final
