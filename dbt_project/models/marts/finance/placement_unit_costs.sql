-- Cost per placement by borough (and ALL), fiscal year and placement group: ledger actuals
-- on the S251 lines mapped to a placement group (seeds/finance/s251_lines.csv, or the cost
-- centre's own placement_group in cost_centre_map) over the EHC plans in that group at the
-- January census inside the fiscal year (census year = fiscal_year_start + 1). A year not
-- yet closed is annualised: unit cost = spend x 12 / periods loaded / placements.
with

lines as (
    select * from {{ ref('int_ledger_lines_mapped') }}
    where
        value_type = 'actual'
        and placement_group is not null
),

periods as (
    select * from {{ ref('int_ledger_periods') }}
),

caseload as (
    select * from {{ ref('ehcp_caseload') }}
),

spend_by_borough as (
    select
        borough,
        fiscal_year_start,
        placement_group,
        sum(amount_gbp) as spend_gbp
    from lines
    group by 1, 2, 3
),

spend_tri_borough as (
    {{ all_rows('spend_by_borough',
        columns=['borough', 'fiscal_year_start', 'placement_group'],
        measures=['spend_gbp']) }}
),

spend as (
    select * from spend_by_borough
    union all
    select * from spend_tri_borough
),

placements as (
    select
        borough,
        census_year - 1 as fiscal_year_start,
        placement_group,
        sum(ehcplans)::int as placements
    from caseload
    group by 1, 2, 3
),

years as (
    -- borough-years with both a ledger and a census
    select distinct
        periods.borough,
        periods.fiscal_year_start,
        periods.fiscal_year,
        periods.latest_period,
        periods.is_year_closed
    from periods
    inner join placements using (borough, fiscal_year_start)
),

groups as (
    select distinct
        borough,
        fiscal_year_start,
        placement_group
    from spend
    union
    select distinct
        borough,
        fiscal_year_start,
        placement_group
    from placements
),

unit_costs as (
    select
        years.borough,
        years.fiscal_year_start,
        years.fiscal_year,
        groups.placement_group,
        years.latest_period as periods_loaded,
        years.is_year_closed,
        coalesce(placements.placements, 0) as placements,
        round(coalesce(spend.spend_gbp, 0), 2) as spend_gbp,
        round(
            coalesce(spend.spend_gbp, 0) * 12 / years.latest_period
            / nullif(placements.placements, 0), 2
        ) as unit_cost_gbp
    from years
    inner join groups using (borough, fiscal_year_start)
    left join spend using (borough, fiscal_year_start, placement_group)
    left join placements using (borough, fiscal_year_start, placement_group)
),

ratios as (
    select
        borough,
        fiscal_year_start,
        round(
            max(unit_cost_gbp) filter (where placement_group = 'independent_nm')
            / nullif(max(unit_cost_gbp) filter (where placement_group = 'special'), 0),
            2
        ) as independent_to_special_ratio
    from unit_costs
    group by 1, 2
),

final as (
    select
        unit_costs.borough,
        unit_costs.fiscal_year_start::int as fiscal_year_start,
        unit_costs.fiscal_year,
        unit_costs.placement_group,
        unit_costs.periods_loaded::int as periods_loaded,
        unit_costs.is_year_closed,
        unit_costs.placements::int as placements,
        unit_costs.spend_gbp,
        unit_costs.unit_cost_gbp,
        ratios.independent_to_special_ratio
    from unit_costs
    inner join ratios using (borough, fiscal_year_start)
)

select * from final
