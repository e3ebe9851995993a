-- How wrong the forecasts have been: the rolling-origin backtest on every English council's
-- published caseload, per model (the cohort model and two baselines) and horizon. A view:
-- the backtest is written after the marts are published.
{{ config(materialized='view') }}

with

backtest as (
    select * from {{ ref('stg_forecast__backtest') }}
),

runs as (
    select * from {{ ref('stg_forecast__runs') }}
),

ranked as (
    select
        backtest.*,
        backtest.wape = min(backtest.wape) over (partition by backtest.horizon_years) as is_lowest_wape
    from backtest
),

final as (
    select
        ranked.model::text as model,
        ranked.horizon_years::int as horizon_years,
        ranked.wape::numeric as wape,
        ranked.bias::numeric as bias,
        ranked.coverage_80::numeric as coverage_80,
        ranked.is_lowest_wape::boolean as is_lowest_wape,
        ranked.councils::int as councils,
        ranked.origins::int as origins,
        ranked.forecasts::int as forecasts,
        ranked.first_origin_year::int as first_origin_year,
        ranked.last_origin_year::int as last_origin_year,
        ranked.run_id::text as run_id,
        runs.finished_at::timestamptz as backtest_at
    from ranked
    left join runs using (run_id)
)

select * from final
