-- The demand forecast's history (forecast/history.py): everyone aged 0-25 (the age_bands
-- seed) with a plan at each January census, with age, the need group of their primary need
-- (need_types seed; 'other' when unknown) and placement group. Pseudonymous keys only.
-- The forecast reads it one borough at a time (forecast.history.BoroughHistory).
{{ config(indexes=[{'columns': ['borough', 'census_year']}]) }}
with

plans_at_census as (
    select * from {{ ref('int_plans_at_census') }}
),

need_types as (
    select * from {{ ref('need_types') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

ages_covered as (
    -- the ages DfE's age bands cover (0-25), the ages the forecast models
    select
        min(min_age) as min_age,
        max(max_age) as max_age
    from age_bands
),

grouped as (
    select
        plans_at_census.census_year,
        plans_at_census.borough,
        plans_at_census.person_key,
        plans_at_census.age,
        coalesce(need_types.need_group, 'other') as need_group,
        plans_at_census.placement_group
    from plans_at_census
    cross join ages_covered
    left join need_types
        on need_types.need_type = upper(plans_at_census.primary_need)
    where plans_at_census.age between ages_covered.min_age and ages_covered.max_age
),

final as (
    select * from grouped
)

select * from final
