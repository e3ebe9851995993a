-- ehcp_caseload's rows for a borough and census add up to the plans active at that census.
with

caseload as (
    select census_year, borough, sum(ehcplans) as ehcplans
    from {{ ref('ehcp_caseload') }}
    where borough <> 'ALL'
    group by 1, 2
),

plans as (
    select census_year, borough, count(*) as ehcplans
    from {{ ref('int_plans_at_census') }}
    group by 1, 2
)

select *
from caseload
full outer join plans using (census_year, borough)
where coalesce(caseload.ehcplans, -1) <> coalesce(plans.ehcplans, -2)
