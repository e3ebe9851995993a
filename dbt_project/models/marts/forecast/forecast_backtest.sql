-- How wrong the forecasts have been: the rolling-origin backtest on every English council's
-- published caseload, per model (the combined model, the cohort model and the leading-indicator
-- regression it draws on, and five baselines) and horizon, with the combined model's margin
-- over the best baseline. A view: the backtest is written after the marts are published.
{{ config(materialized='view') }}

with

backtest as (
    select * from {{ ref('stg_forecast__backtest') }}
),

runs as (
    select * from {{ ref('stg_forecast__runs') }}
),

classified as (
    select
        backtest.*,
        backtest.model not in ('combined_model', 'cohort_model', 'leading_indicators') as is_baseline
    from backtest
),

best_baselines as (
    select
        horizon_years,
        min(wape) as best_baseline_wape
    from classified
    where is_baseline
    group by horizon_years
),

ranked as (
    select
        classified.*,
        best_baselines.best_baseline_wape,
        classified.wape = min(classified.wape) over (partition by classified.horizon_years) as is_lowest_wape,
        case
            when classified.model = 'combined_model'
                then best_baselines.best_baseline_wape - classified.wape
        end as margin_over_best_baseline
    from classified
    left join best_baselines using (horizon_years)
),

final as (
    select
        ranked.model::text as model,
        ranked.horizon_years::int as horizon_years,
        ranked.wape::numeric as wape,
        ranked.bias::numeric as bias,
        ranked.coverage_80::numeric as coverage_80,
        ranked.is_lowest_wape::boolean as is_lowest_wape,
        ranked.is_baseline::boolean as is_baseline,
        ranked.best_baseline_wape::numeric as best_baseline_wape,
        ranked.margin_over_best_baseline::numeric as margin_over_best_baseline,
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
