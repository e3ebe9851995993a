-- Each borough's EHC plans, requests and 20-week timeliness beside DfE's published figure for
-- the same council, London, England, and the five councils nearest in size (by EHC plans in
-- the latest published January). Years: the census year for plans (DfE's 201819 is January
-- 2019), the calendar year for requests and timeliness.
with

published as (
    select * from {{ ref('stg_dfe__ehcp') }}
),

boroughs as (
    select * from {{ ref('stg_boroughs') }}
),

timeliness as (
    select * from {{ ref('ehc_timeliness') }}
),

caseload as (
    select * from {{ ref('ehcp_caseload') }}
),

headline as (
    select
        geographic_level,
        new_la_code,
        la_name,
        region_name,
        measure,
        case
            when length(time_period) = 6 then ('20' || right(time_period, 2))::int
            else time_period::int
        end as year,
        value
    from published
    where
        publication_file in ('caseload', 'requests', 'timeliness_20_week')
        and breakdown_topic like 'All %'
        and measure in ('ehcplans', 'requests_received_in_year', 'PC_plans_issued_20_weeks_ex')
),

latest_census as (
    select max(year) as year from headline
    where measure = 'ehcplans'
),

latest_size as (
    select
        headline.new_la_code,
        headline.la_name,
        headline.value as ehcplans
    from headline
    inner join latest_census using (year)
    where
        headline.geographic_level = 'Local authority' and headline.measure = 'ehcplans'
        and headline.value is not null
),

neighbours as (
    select
        boroughs.borough,
        other.new_la_code,
        other.la_name,
        row_number() over (
            partition by boroughs.borough
            order by abs(other.ehcplans - own.ehcplans), other.la_name
        ) as nearness
    from boroughs
    inner join latest_size as own on boroughs.ons_code = own.new_la_code
    inner join latest_size as other on own.new_la_code <> other.new_la_code
),

nearest as (
    select * from neighbours
    where nearness <= 5
),

warehouse_values as (
    select
        borough,
        'ehcplans' as measure,
        census_year as year,
        sum(ehcplans)::numeric as value
    from caseload
    group by 1, 2, 3
    union all
    select
        borough,
        'requests_received_in_year' as measure,
        calendar_year as year,
        requests_received_in_year::numeric as value
    from timeliness
    union all
    select
        borough,
        'PC_plans_issued_20_weeks_ex' as measure,
        calendar_year as year,
        "PC_plans_issued_20_weeks_ex" as value
    from timeliness
),

published_measures as (
    select distinct
        measure,
        year
    from headline
),

grid as (
    select distinct
        boroughs.borough,
        boroughs.ons_code,
        published_measures.measure,
        published_measures.year
    from boroughs
    cross join published_measures
),

nearest_medians as (
    select
        nearest.borough,
        headline.measure,
        headline.year,
        percentile_cont(0.5) within group (
            order by headline.value
        )::numeric as nearest_councils_median
    from nearest
    inner join headline using (new_la_code)
    group by 1, 2, 3
),

nearest_names as (
    select
        borough,
        string_agg(
            la_name, ', '
            order by nearness
        ) as nearest_councils
    from nearest
    group by 1
),

compared as (
    select
        grid.borough,
        grid.measure,
        grid.year,
        w.value as warehouse_value,
        own.value as published_value,
        london.value as london_value,
        england.value as england_value,
        nearest_medians.nearest_councils_median,
        nearest_names.nearest_councils
    from grid
    left join warehouse_values as w
        on grid.borough = w.borough and grid.measure = w.measure and grid.year = w.year
    left join headline as own
        on
            own.geographic_level = 'Local authority' and grid.ons_code = own.new_la_code
            and grid.measure = own.measure and grid.year = own.year
    left join headline as london
        on
            london.geographic_level = 'Regional' and london.region_name = 'London'
            and grid.measure = london.measure and grid.year = london.year
    left join headline as england
        on
            england.geographic_level = 'National'
            and grid.measure = england.measure and grid.year = england.year
    left join nearest_medians
        on
            grid.borough = nearest_medians.borough
            and grid.measure = nearest_medians.measure and grid.year = nearest_medians.year
    left join nearest_names
        on grid.borough = nearest_names.borough
),

final as (
    select
        borough,
        measure,
        year,
        warehouse_value,
        published_value,
        london_value,
        england_value,
        round(nearest_councils_median, 1) as nearest_councils_median,
        nearest_councils
    from compared
)

select * from final
