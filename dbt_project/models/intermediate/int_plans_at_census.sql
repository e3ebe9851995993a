-- Every plan active at each January census date, with the person's age band, sex, primary
-- need and placement group at that date. A plan is active when it started on or before the
-- census date and had not ceased by then. Age is taken at 31 August before the census (the
-- start of the school year, as DfE's age breakdowns do). Only the source that speaks for
-- that census (int_borough_coverage) is used.
{{ config(**borough_incremental()) }}
with

plans as (
    select * from {{ ref('int_plans') }}
    where {{ in_changed_boroughs() }}
),

active as (
    select * from {{ ref('int_census_plan_spells') }}
    where {{ in_changed_boroughs() }}
),

persons as (
    select * from {{ ref('pii_persons') }}
    where {{ in_changed_boroughs() }}
),

needs as (
    select * from {{ ref('int_needs') }}
    where {{ in_changed_boroughs() }}
),

placements as (
    select * from {{ ref('int_placements') }}
    where {{ in_changed_boroughs() }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

one_plan_per_person as (
    -- a person holds one plan; if the data show two at once, count the later one
    select distinct on (active.census_year, active.borough, active.person_key) active.*
    from active
    inner join plans using (plan_key)
    order by active.census_year asc, active.borough asc, active.person_key asc, plans.start_on desc
),

aged as (
    select
        one_plan_per_person.*,
        persons.sex,
        date_part('year', age(
            make_date(extract(year from one_plan_per_person.census_date)::int - 1, 8, 31), persons.birth_on
        ))::int as age
    from one_plan_per_person
    left join persons using (borough, person_key)
),

primary_need as (
    select distinct on (aged.census_year, aged.borough, aged.person_key)
        aged.census_year,
        aged.borough,
        aged.person_key,
        needs.need_type
    from aged
    inner join needs
        on
            aged.borough = needs.borough and aged.person_key = needs.person_key
            and aged.source = needs.source and needs.need_rank = 1
    order by
        aged.census_year asc, aged.borough asc, aged.person_key asc,
        (needs.recorded_on > aged.census_date), needs.recorded_on desc
),

placement_at_census as (
    select distinct on (aged.census_year, aged.plan_key)
        aged.census_year,
        aged.plan_key,
        placements.placement_group
    from aged
    inner join placements
        on aged.plan_key = placements.plan_key and placements.placement_rank = 1
    where placements.entry_on is null or placements.entry_on <= aged.census_date
    order by
        aged.census_year asc, aged.plan_key asc,
        (placements.leaving_on is not null and placements.leaving_on <= aged.census_date),
        placements.entry_on desc nulls last
),

described as (
    select
        aged.census_year,
        aged.census_date,
        aged.borough,
        aged.source,
        aged.plan_key,
        aged.person_key,
        aged.age,
        coalesce(age_bands.age_band, 'outside 0-25') as age_band,
        coalesce(aged.sex, 'U') as sex,
        coalesce(primary_need.need_type, 'unknown') as primary_need,
        coalesce(placement_at_census.placement_group, 'other') as placement_group
    from aged
    left join age_bands on aged.age between age_bands.min_age and age_bands.max_age
    left join primary_need using (census_year, borough, person_key)
    left join placement_at_census using (census_year, plan_key)
),

final as (
    select * from described
)

select * from final
