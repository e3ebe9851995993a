-- The SENneed items of each borough's SEN2 return for each collection year (written in each
-- ActivePlans block): the needs of each person with an active plan, from the source that
-- speaks for the census, as they stood at the census (of each rank, the latest recorded by
-- the census, else the latest recorded), the first two ranks.
{{ config(**borough_incremental()) }}
with

requests as (
    select * from {{ ref('sen2_return_requests') }}
    where {{ in_changed_boroughs() }}
),

collections as (
    select * from {{ ref('int_collection_years') }}
    where {{ in_changed_boroughs() }}
),

needs as (
    select * from {{ ref('int_needs') }}
    where {{ in_changed_boroughs() }}
),

returned as (
    select distinct
        borough,
        collection_year,
        source,
        person_key
    from requests
    where has_active_plan
),

at_census as (
    select distinct on (returned.borough, returned.collection_year, returned.person_key, needs.need_rank)
        returned.borough,
        returned.collection_year,
        returned.person_key,
        needs.need_type,
        needs.need_rank
    from returned
    inner join collections using (borough, collection_year)
    inner join needs
        on
            returned.borough = needs.borough
            and returned.source = needs.source
            and returned.person_key = needs.person_key
    order by
        returned.borough asc, returned.collection_year asc, returned.person_key asc, needs.need_rank asc,
        (needs.recorded_on > collections.census_date), needs.recorded_on desc, needs.need_type asc
),

ranked as (
    select
        *,
        row_number() over (
            partition by borough, collection_year, person_key
            order by need_rank
        ) as need_position
    from at_census
),

final as (
    select
        borough,
        collection_year,
        person_key,
        need_type,
        need_rank
    from ranked
    where need_position <= 2
)

select * from final
