-- Each borough's share of the shared programme costs by fiscal year. Basis (var
-- finance.apportionment_basis): ehc_plans (default) = its share of the three boroughs' EHC
-- plans at the January census inside the fiscal year (int_plans_at_census); fixed = the shares in
-- seeds/finance/programme_apportionment.csv. A year with no census falls back to the fixed
-- shares, and says so in basis_used.
{%- set finance = var('finance') %}
with

fixed_shares as (
    select * from {{ ref('programme_apportionment') }}
),

plans_at_census as (
    select * from {{ ref('int_plans_at_census') }}
),

flows as (
    select * from {{ ref('int_invest_to_save_flows') }}
),

years as (
    select distinct fiscal_year_start from flows
),

plans as (
    select
        census_year - 1 as fiscal_year_start,
        borough,
        count(*) as ehcplans,
        sum(count(*)) over (partition by census_year - 1) as all_ehcplans
    from plans_at_census
    group by 1, 2
),

shares as (
    select
        years.fiscal_year_start,
        fixed_shares.borough,
        {% if finance['apportionment_basis'] == 'ehc_plans' -%}
        case when plans.ehcplans is not null then 'ehc_plans' else 'fixed' end as basis_used,
        coalesce(plans.ehcplans / nullif(plans.all_ehcplans, 0), fixed_shares.fixed_share) as share,
        {%- else -%}
        'fixed' as basis_used,
        fixed_shares.fixed_share as share,
        {%- endif %}
        plans.ehcplans::int as ehcplans
    from years
    cross join fixed_shares
    left join plans
        on
            years.fiscal_year_start = plans.fiscal_year_start
            and fixed_shares.borough = plans.borough
),

final as (
    select * from shares
)

select * from final
