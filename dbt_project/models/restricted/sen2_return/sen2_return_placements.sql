-- The placements each borough's SEN2 return names for each collection year, as the XML
-- items they become: a PlanDetail for each named plan (the placements it started with:
-- those entered by its start date, else its first), and a PlacementDetail for each active
-- plan (the placements current at the census, else its last). One placement per rank, the
-- latest entered; a plan with no placement gets one of setting OTH at rank 1. A placement
-- is named by its URN, else its UKPRN, else its SENSetting.
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

placements as (
    select * from {{ ref('int_placements') }}
    where {{ in_changed_boroughs() }}
),

returned_plans as (
    select
        requests.borough,
        requests.collection_year,
        requests.source,
        requests.person_key,
        requests.request_key,
        requests.plan_key,
        requests.named_plan_start_on,
        requests.has_active_plan,
        requests.plan_start_on,
        collections.census_date
    from requests
    inner join collections using (borough, collection_year)
    where requests.named_plan_start_on is not null or requests.has_active_plan
),

plan_placements as (
    select
        returned_plans.*,
        placements.urn,
        placements.ukprn,
        placements.sen_setting,
        placements.placement_rank,
        placements.entry_on,
        placements.leaving_on,
        coalesce(nullif(placements.placement_rank, 0), 1) as rank_slot,
        -- the plan's placements in rank and entry order
        row_number() over (
            partition by
                returned_plans.borough, returned_plans.collection_year,
                returned_plans.request_key, returned_plans.plan_key
            order by
                placements.placement_rank, placements.entry_on, placements.leaving_on,
                placements.urn, placements.ukprn, placements.sen_setting
        ) as list_position,
        count(*) over (
            partition by
                returned_plans.borough, returned_plans.collection_year,
                returned_plans.request_key, returned_plans.plan_key
        ) as placements_count
    from returned_plans
    inner join placements
        on
            returned_plans.borough = placements.borough
            and returned_plans.source = placements.source
            and returned_plans.plan_key = placements.plan_key
),

at_plan_start as (
    select
        *,
        entry_on is null or entry_on <= named_plan_start_on as is_at_start
    from plan_placements
    where named_plan_start_on is not null
),

named_plan_candidates as (
    select
        'PlanDetail' as detail,
        *,
        count(*) filter (where is_at_start) over (
            partition by borough, collection_year, request_key, plan_key
        ) as at_start_count
    from at_plan_start
),

at_census as (
    select
        *,
        (entry_on is null or entry_on <= census_date)
        and (leaving_on is null or leaving_on > census_date) as is_current
    from plan_placements
    where has_active_plan
),

active_plan_candidates as (
    select
        'PlacementDetail' as detail,
        *,
        count(*) filter (where is_current) over (
            partition by borough, collection_year, request_key, plan_key
        ) as current_count
    from at_census
),

candidates as (
    select
        detail,
        borough,
        collection_year,
        person_key,
        request_key,
        plan_key,
        rank_slot,
        list_position,
        urn,
        ukprn,
        sen_setting,
        placement_rank,
        null::date as entry_on
    from named_plan_candidates
    where is_at_start or (at_start_count = 0 and list_position = 1)
    union all
    select
        detail,
        borough,
        collection_year,
        person_key,
        request_key,
        plan_key,
        rank_slot,
        list_position,
        urn,
        ukprn,
        sen_setting,
        placement_rank,
        entry_on
    from active_plan_candidates
    where is_current or (current_count = 0 and list_position = placements_count)
),

one_per_rank as (
    -- the latest entered placement of each rank (the later in rank and entry order on a tie)
    select distinct on (detail, borough, collection_year, request_key, plan_key, rank_slot) *
    from candidates
    order by
        detail asc, borough asc, collection_year asc, request_key asc, plan_key asc, rank_slot asc,
        coalesce(entry_on, '-infinity'::date) desc, list_position desc
),

without_placements as (
    select
        details.detail,
        returned_plans.borough,
        returned_plans.collection_year,
        returned_plans.person_key,
        returned_plans.request_key,
        returned_plans.plan_key,
        1 as rank_slot,
        null::text as urn,
        null::text as ukprn,
        null::text as sen_setting,
        1 as placement_rank,
        case when details.detail = 'PlacementDetail' then returned_plans.plan_start_on end as entry_on
    from returned_plans
    inner join (values ('PlanDetail'), ('PlacementDetail')) as details (detail)
        on
            (details.detail = 'PlanDetail' and returned_plans.named_plan_start_on is not null)
            or (details.detail = 'PlacementDetail' and returned_plans.has_active_plan)
    where not exists (
        select 1 from plan_placements
        where
            plan_placements.borough = returned_plans.borough
            and plan_placements.collection_year = returned_plans.collection_year
            and plan_placements.request_key = returned_plans.request_key
            and plan_placements.plan_key = returned_plans.plan_key
    )
),

named as (
    select
        detail,
        borough,
        collection_year,
        person_key,
        request_key,
        plan_key,
        rank_slot,
        urn,
        ukprn,
        sen_setting,
        placement_rank,
        entry_on
    from one_per_rank
    union all
    select * from without_placements
),

final as (
    select
        detail,
        borough,
        collection_year,
        person_key,
        request_key,
        plan_key,
        rank_slot,
        nullif(urn, '') as urn,
        case when coalesce(urn, '') = '' then nullif(ukprn, '') end as ukprn,
        case
            when coalesce(urn, '') = '' and coalesce(ukprn, '') = ''
                then coalesce(nullif(sen_setting, ''), 'OTH')
        end as sen_setting,
        placement_rank,
        entry_on
    from named
)

select * from final
