-- Which plan was active at which January census: started on or before the census date and
-- not ceased by then, from the source int_borough_coverage names for that census. A table
-- of its own so that the planner has real row counts for the joins that follow (the
-- date-range join is badly estimated inside one query).
with

plans as (
    select * from {{ ref('int_plans') }}
),

coverage as (
    select * from {{ ref('int_borough_coverage') }}
),

census_dates as (
    select * from {{ ref('census_dates') }}
),

active as (
    select
        census_dates.return_year as census_year,
        census_dates.census_date,
        plans.borough,
        plans.source,
        plans.plan_key,
        plans.person_key
    from plans
    inner join coverage
        on coverage.borough = plans.borough and coverage.census_source = plans.source
    inner join census_dates
        on census_dates.return_year = coverage.year
    where plans.start_on <= census_dates.census_date
        and (plans.cease_on is null or plans.cease_on > census_dates.census_date)
        and census_dates.census_date <= {{ today() }}
),

final as (
    select * from active
)

select * from final
