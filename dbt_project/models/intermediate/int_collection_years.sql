-- The precedence rule (int_borough_coverage) applied to the January censuses, once: for each
-- borough and SEN2 collection year (a census in the census_dates seed), the source that
-- speaks for that census, the census date and the collection period (the previous calendar
-- year). Everything counted at a census (int_census_plan_spells) and every SEN2 return row
-- takes its source from here.
with

coverage as (
    select * from {{ ref('int_borough_coverage') }}
    where census_source is not null
),

census_dates as (
    select * from {{ ref('census_dates') }}
),

collections as (
    select
        coverage.borough,
        census_dates.return_year as collection_year,
        census_dates.census_date,
        make_date(census_dates.return_year - 1, 1, 1) as period_start_on,
        make_date(census_dates.return_year, 1, 1) - 1 as period_end_on,
        coverage.census_source as source
    from coverage
    inner join census_dates
        on coverage.year = census_dates.return_year
),

final as (
    select * from collections
)

select * from final
