-- Which source speaks for each borough and year. Precedence rule: the case system for the
-- periods it covers (from its earliest request to its extract date), SEN2 returns for the
-- years before; within a source the latest batch wins (see stg_audit__current_batches).
--   activity_source: requests, assessments and plans issued in calendar year `year`
--   census_source:   plans active at the January census of `year`
with

case_requests as (
    select * from {{ ref('stg_case__requests') }}
),

sen2_headers as (
    select * from {{ ref('stg_sen2__headers') }}
),

census_dates as (
    select * from {{ ref('census_dates') }}
),

case_span as (
    select
        borough,
        min(received_on) as case_from,
        max(extract_on) as case_to
    from case_requests
    group by borough
),

case_activity_years as (
    select
        borough,
        generate_series(
            extract(year from case_from)::int,
            extract(year from case_to)::int
        ) as year
    from case_span
),

case_census_years as (
    select
        case_span.borough,
        census_dates.return_year as year
    from case_span
    inner join census_dates
        on census_dates.census_date between case_span.case_from and case_span.case_to
),

sen2_activity_years as (
    select distinct
        borough,
        return_year - 1 as year
    from sen2_headers
),

sen2_census_years as (
    select distinct
        borough,
        return_year as year
    from sen2_headers
),

activity as (
    select
        borough,
        year,
        'case' as source
    from case_activity_years
    union all
    select
        borough,
        year,
        'sen2' as source
    from sen2_activity_years
    where not exists (
        select 1 from case_activity_years as c
        where c.borough = sen2_activity_years.borough and c.year = sen2_activity_years.year
    )
),

census as (
    select
        borough,
        year,
        'case' as source
    from case_census_years
    union all
    select
        borough,
        year,
        'sen2' as source
    from sen2_census_years
    where not exists (
        select 1 from case_census_years as c
        where c.borough = sen2_census_years.borough and c.year = sen2_census_years.year
    )
),

final as (
    select
        borough,
        year,
        activity.source as activity_source,
        census.source as census_source
    from activity
    full outer join census using (borough, year)
)

select * from final
