-- A borough's caseload at each census: the totals by age band, by primary need and by
-- placement group against the plans held at that census (person level).
with

caseload as (
    select * from {marts}.ehcp_caseload
    where borough = {borough}
),

plans_held as (
    select census_year, count(*) as plans_held
    from intermediate.int_plans_at_census
    where borough = {borough}
    group by 1
),

by_dimension as (
    select census_year, 'age_band' as dimension, sum(ehcplans) as total
    from (select census_year, age_band, sum(ehcplans) as ehcplans from caseload group by 1, 2) as a
    group by 1
    union all
    select census_year, 'primary_need', sum(ehcplans)
    from (select census_year, primary_need, sum(ehcplans) as ehcplans from caseload group by 1, 2) as n
    group by 1
    union all
    select census_year, 'placement_group', sum(ehcplans)
    from (select census_year, placement_group, sum(ehcplans) as ehcplans from caseload group by 1, 2) as p
    group by 1
),

final as (
    select
        'census ' || coalesce(by_dimension.census_year, plans_held.census_year) || ' by '
            || coalesce(by_dimension.dimension, 'any') as figure,
        by_dimension.total,
        plans_held.plans_held,
        coalesce(by_dimension.total, 0) - coalesce(plans_held.plans_held, 0) as difference
    from by_dimension
    full join plans_held using (census_year)
)

select * from final
