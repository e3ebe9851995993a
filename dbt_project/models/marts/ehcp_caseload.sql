-- EHC plans active at each January census date by borough, DfE age band, primary need,
-- placement group and sex; the rows of a borough and census sum to its `ehcplans` total.
-- A tri-borough row set (borough = 'ALL') sums the boroughs.
with

plans_at_census as (
    select * from {{ ref('int_plans_at_census') }}
),

by_borough as (
    select
        census_year,
        census_date,
        borough,
        age_band,
        primary_need,
        placement_group,
        sex,
        count(*)::int as ehcplans
    from plans_at_census
    group by 1, 2, 3, 4, 5, 6, 7
),

tri_borough as (
    {{ all_rows('by_borough',
        columns=['census_year', 'census_date', 'borough', 'age_band', 'primary_need',
                 'placement_group', 'sex'],
        measures=['ehcplans'], cast='int') }}
),

final as (
    select * from by_borough
    union all
    select * from tri_borough
)

select * from final
