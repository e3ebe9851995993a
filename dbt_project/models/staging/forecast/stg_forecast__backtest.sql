-- Ephemeral (inlined into the forecast marts, which are views): a staging view here would be
-- dropped and recreated by every dbt run, and DROP ... CASCADE would take the published
-- marts views that read it with it.
{{ config(materialized='ephemeral') }}

with

source as (
    select * from {{ source('forecast', 'backtest') }}
),

final as (
    select
        run_id,
        model,
        horizon_years::int as horizon_years,
        councils::int as councils,
        origins::int as origins,
        forecasts::int as forecasts,
        first_origin_year::int as first_origin_year,
        last_origin_year::int as last_origin_year,
        wape::numeric as wape,
        bias::numeric as bias,
        coverage_80::numeric as coverage_80
    from source
)

select * from final
