-- Ephemeral (inlined into the forecast marts, which are views): a staging view here would be
-- dropped and recreated by every dbt run, and DROP ... CASCADE would take the published
-- marts views that read it with it.
{{ config(materialized='ephemeral') }}

with

source as (
    select * from {{ source('forecast', 'demand') }}
),

final as (
    select
        run_id,
        borough,
        origin_year::int as origin_year,
        census_year::int as census_year,
        (census_year - origin_year)::int as horizon_years,
        age_band,
        need_group,
        placement_group,
        scenario,
        plans_p10::numeric as plans_p10,
        plans_p50::numeric as plans_p50,
        plans_p90::numeric as plans_p90,
        plans_mean::numeric as plans_mean,
        cost_p10_gbp::numeric as cost_p10_gbp,
        cost_p50_gbp::numeric as cost_p50_gbp,
        cost_p90_gbp::numeric as cost_p90_gbp
    from source
)

select * from final
