-- EHC plans forecast at the next January censuses by borough (and ALL), DfE age band, need
-- group and placement group, p10/p50/p90 from the cohort model's simulated paths, with cost
-- at the latest fiscal year's unit cost of each placement group (placement_unit_costs),
-- priced and summed inside each simulated path by the forecast (forecast/boroughs.py), so
-- the rows over all placement groups and the tri-borough rows carry a cost too.
-- A view: forecasts are written after the marts are published, so it always shows the newest.
{{ config(materialized='view') }}

with

demand as (
    select * from {{ ref('stg_forecast__demand') }}
),

runs as (
    select * from {{ ref('stg_forecast__runs') }}
),

unit_costs as (
    select * from {{ ref('placement_unit_costs') }}
),

latest_unit_costs as (
    -- the latest fiscal year with a unit cost, per borough and placement group
    select distinct on (borough, placement_group)
        borough,
        placement_group,
        fiscal_year_start as unit_cost_fiscal_year_start,
        unit_cost_gbp
    from unit_costs
    where unit_cost_gbp is not null
    order by borough asc, placement_group asc, fiscal_year_start desc
),

costed as (
    -- the forecast's per-path costs; runs written before it priced paths fall back to
    -- plans x unit cost, which is right only where the placement group is known (a quantile
    -- of a total cost needs the paths, not the groups' quantiles)
    select
        demand.borough,
        demand.origin_year,
        demand.census_year,
        demand.horizon_years,
        demand.age_band,
        demand.need_group,
        demand.placement_group,
        demand.scenario,
        demand.plans_p10,
        demand.plans_p50,
        demand.plans_p90,
        demand.plans_mean,
        latest_unit_costs.unit_cost_fiscal_year_start,
        latest_unit_costs.unit_cost_gbp,
        coalesce(
            demand.cost_p10_gbp, round(demand.plans_p10 * latest_unit_costs.unit_cost_gbp, 0)
        ) as cost_p10_gbp,
        coalesce(
            demand.cost_p50_gbp, round(demand.plans_p50 * latest_unit_costs.unit_cost_gbp, 0)
        ) as cost_p50_gbp,
        coalesce(
            demand.cost_p90_gbp, round(demand.plans_p90 * latest_unit_costs.unit_cost_gbp, 0)
        ) as cost_p90_gbp,
        demand.run_id,
        runs.finished_at as forecast_at
    from demand
    left join runs using (run_id)
    left join latest_unit_costs
        on
            demand.borough = latest_unit_costs.borough
            and demand.placement_group = latest_unit_costs.placement_group
),

final as (
    select
        borough::text as borough,
        origin_year::int as origin_year,
        census_year::int as census_year,
        horizon_years::int as horizon_years,
        age_band::text as age_band,
        need_group::text as need_group,
        placement_group::text as placement_group,
        scenario::text as scenario,
        plans_p10::numeric as plans_p10,
        plans_p50::numeric as plans_p50,
        plans_p90::numeric as plans_p90,
        plans_mean::numeric as plans_mean,
        unit_cost_fiscal_year_start::int as unit_cost_fiscal_year_start,
        unit_cost_gbp::numeric as unit_cost_gbp,
        cost_p10_gbp::numeric as cost_p10_gbp,
        cost_p50_gbp::numeric as cost_p50_gbp,
        cost_p90_gbp::numeric as cost_p90_gbp,
        run_id::text as run_id,
        forecast_at::timestamptz as forecast_at
    from costed
)

select * from final
