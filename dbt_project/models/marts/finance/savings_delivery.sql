-- Savings delivery each period: by savings line (and ALL for the programme), fiscal year
-- and period: the year's target, achieved to date, forecast for the year, at risk,
-- undeliverable and a RAG status (how each is measured: int_savings_measured). RAG rule
-- (vars finance.savings_rag_*): forecast for the year / the year's target >= green_min
-- (0.95) green, >= amber_min (0.75) amber, else red.
{%- set finance = var('finance') %}
with

measured as (
    select * from {{ ref('int_savings_measured') }}
),

programme_totals as (
    {{ all_rows('measured',
        columns=['savings_line', 'fiscal_year_start', 'fiscal_year', 'period'],
        measures=['target_year_gbp', 'target_to_date_gbp', 'expected_cost_to_date_gbp',
                  'spend_to_date_gbp', 'achieved_to_date_gbp', 'forecast_year_gbp'],
        over='savings_line') }}
),

programme as (
    select
        savings_line,
        'all lines' as measure_method,
        fiscal_year_start,
        fiscal_year,
        period,
        target_year_gbp,
        target_to_date_gbp,
        null::numeric as activity_to_date,
        null::numeric as unit_cost_gbp,
        expected_cost_to_date_gbp,
        spend_to_date_gbp,
        achieved_to_date_gbp,
        forecast_year_gbp
    from programme_totals
),

lines_and_programme as (
    select * from measured
    union all
    select * from programme
),

shortfalls as (
    select
        *,
        greatest(0, target_to_date_gbp - achieved_to_date_gbp) as undeliverable_gbp
    from lines_and_programme
),

rated as (
    select
        *,
        greatest(0, target_year_gbp - forecast_year_gbp - undeliverable_gbp) as at_risk_gbp,
        case
            when forecast_year_gbp >= target_year_gbp * {{ finance['savings_rag_green_min'] }} then 'green'
            when forecast_year_gbp >= target_year_gbp * {{ finance['savings_rag_amber_min'] }} then 'amber'
            else 'red'
        end as rag_status
    from shortfalls
),

final as (
    select
        savings_line,
        measure_method,
        fiscal_year_start::int as fiscal_year_start,
        fiscal_year,
        period::int as period,
        period = 12 as is_year_end,
        round(target_year_gbp, 2) as target_year_gbp,
        round(target_to_date_gbp, 2) as target_to_date_gbp,
        round(activity_to_date, 2) as activity_to_date,
        round(unit_cost_gbp, 2) as baseline_unit_cost_gbp,
        round(expected_cost_to_date_gbp, 2) as expected_cost_to_date_gbp,
        round(spend_to_date_gbp, 2) as spend_to_date_gbp,
        round(achieved_to_date_gbp, 2) as achieved_to_date_gbp,
        round(forecast_year_gbp, 2) as forecast_year_gbp,
        round(at_risk_gbp, 2) as at_risk_gbp,
        round(undeliverable_gbp, 2) as undeliverable_gbp,
        rag_status
    from rated
)

select * from final
