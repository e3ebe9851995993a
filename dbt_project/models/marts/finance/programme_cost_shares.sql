-- The shared programme costs (invest-to-save investment, planned and actual) apportioned
-- to the boroughs by fiscal year (int_programme_apportionment: by each borough's share of
-- EHC plans unless var finance.apportionment_basis is fixed).
with

shares as (
    select * from {{ ref('int_programme_apportionment') }}
),

flows as (
    select * from {{ ref('int_invest_to_save_flows') }}
    where line = 'ALL'
),

final as (
    select
        shares.borough,
        flows.fiscal_year_start::int as fiscal_year_start,
        flows.fiscal_year_start || '/' || lpad(((flows.fiscal_year_start + 1) % 100)::text, 2, '0')
        as fiscal_year,
        shares.basis_used,
        shares.ehcplans,
        round(shares.share, 6) as share,
        round(flows.planned_investment_gbp * shares.share, 2) as planned_investment_gbp,
        case
            when flows.periods_loaded is not null
                then round(flows.actual_investment_gbp * shares.share, 2)
        end as actual_investment_gbp
    from flows
    inner join shares using (fiscal_year_start)
    where flows.planned_investment_gbp <> 0 or flows.actual_investment_gbp <> 0
)

select * from final
