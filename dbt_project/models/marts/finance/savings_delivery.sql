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

programme as (
    select
        'ALL' as savings_line,
        'all lines' as measure_method,
        fiscal_year_start,
        fiscal_year,
        period,
        sum(target_year_gbp) as target_year_gbp,
        sum(target_to_date_gbp) as target_to_date_gbp,
        null::numeric as activity_to_date,
        null::numeric as unit_cost_gbp,
        sum(expected_cost_to_date_gbp) as expected_cost_to_date_gbp,
        sum(spend_to_date_gbp) as spend_to_date_gbp,
        sum(achieved_to_date_gbp) as achieved_to_date_gbp,
        sum(forecast_year_gbp) as forecast_year_gbp
    from measured
    group by 3, 4, 5
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
