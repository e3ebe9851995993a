-- Migration 0003: forecast tables, written by forecast/store.py (one transaction per run)
-- and read by dbt as the source `forecast`. Idempotent, to adopt a warehouse created
-- before migrations.
create schema if not exists forecast;

create table if not exists forecast.runs (
    run_id text primary key,
    kind text not null,                 -- 'borough' (warehouse history) or 'backtest' (DfE published)
    started_at timestamptz not null,
    finished_at timestamptz not null,
    origin_year integer,                -- the last January census the fit used
    settings jsonb not null default '{}',
    summary jsonb not null default '{}'
);

-- p10/p50/p90 of plans at each future January census; 'all' in a dimension means the
-- quantile of the sum over it, taken within each simulated path (not a sum of quantiles).
create table if not exists forecast.demand (
    run_id text not null references forecast.runs (run_id),
    borough text not null,              -- HF, KC, WCC, or ALL for the tri-borough
    origin_year integer not null,
    census_year integer not null,
    age_band text not null,
    need_group text not null,
    placement_group text not null,
    scenario text not null default 'baseline',
    plans_p10 numeric not null,
    plans_p50 numeric not null,
    plans_p90 numeric not null,
    plans_mean numeric not null,
    primary key (borough, census_year, age_band, need_group, placement_group, scenario)
);

-- rolling-origin backtest metrics on DfE's published caseloads, per model and horizon
create table if not exists forecast.backtest (
    run_id text not null references forecast.runs (run_id),
    model text not null,                -- cohort_model, last_value, linear_trend_3y
    horizon_years integer not null,
    councils integer not null,
    origins integer not null,
    forecasts integer not null,
    first_origin_year integer not null,
    last_origin_year integer not null,
    wape numeric not null,
    bias numeric not null,
    coverage_80 numeric,
    primary key (model, horizon_years)
);
