-- Which plan was active at which January census: started on or before the census date and
-- not ceased by then, from the source that speaks for that census (int_collection_years). A
-- table of its own so that the planner has real row counts for the joins that follow (the
-- date-range join is badly estimated inside one query).
{{ config(**borough_incremental()) }}
with

plans as (
    select * from {{ ref('int_plans') }}
    where {{ in_changed_boroughs() }}
),

collections as (
    select * from {{ ref('int_collection_years') }}
    where {{ in_changed_boroughs() }}
),

active as (
    select
        collections.collection_year as census_year,
        collections.census_date,
        plans.borough,
        plans.source,
        plans.plan_key,
        plans.person_key
    from plans
    inner join collections
        on plans.borough = collections.borough and plans.source = collections.source
    where
        plans.start_on <= collections.census_date
        and (plans.cease_on is null or plans.cease_on > collections.census_date)
        and collections.census_date <= {{ today() }}
),

final as (
    select * from active
)

select * from final
