-- The invest-to-save programme by investment line (and ALL) and fiscal year: the business
-- case's investment profile against ledger actuals, and on the ALL rows the planned and
-- actual savings, the net flow of the year (savings - investment) and the cumulative net
-- position, undiscounted and discounted at var finance.discount_rate (3.5%) a year to the
-- plan's first year. Actual columns are null for years the ledgers have not reached.
with

flows as (
    select * from {{ ref('int_invest_to_save_flows') }}
),

observed as (
    select
        line,
        fiscal_year_start,
        year_index,
        savings_year,
        periods_loaded,
        discount_factor,
        planned_investment_gbp,
        case when periods_loaded is not null then actual_investment_gbp end as actual_investment_gbp,
        planned_savings_gbp,
        case when periods_loaded is not null then actual_savings_gbp end as actual_savings_gbp
    from flows
),

netted as (
    select
        *,
        case when line = 'ALL' then planned_savings_gbp - planned_investment_gbp end as planned_net_gbp,
        case when line = 'ALL' then coalesce(actual_savings_gbp, 0) - actual_investment_gbp end
        as actual_net_gbp
    from observed
),

cumulated as (
    select
        *,
        sum(planned_net_gbp) over running as cumulative_planned_net_gbp,
        sum(actual_net_gbp) over running as cumulative_actual_net_gbp,
        sum(planned_net_gbp * discount_factor) over running as cumulative_planned_net_discounted_gbp,
        sum(actual_net_gbp * discount_factor) over running as cumulative_actual_net_discounted_gbp
    from netted
    window running as (
        partition by line
        order by fiscal_year_start
        rows between unbounded preceding and current row
    )
),

final as (
    select
        line,
        fiscal_year_start::int as fiscal_year_start,
        fiscal_year_start || '/' || lpad(((fiscal_year_start + 1) % 100)::text, 2, '0') as fiscal_year,
        year_index::int as year_index,
        savings_year::int as savings_year,
        periods_loaded::int as periods_loaded,
        round(planned_investment_gbp, 2) as planned_investment_gbp,
        round(actual_investment_gbp, 2) as actual_investment_gbp,
        round(actual_investment_gbp - planned_investment_gbp, 2) as investment_variance_gbp,
        round(planned_savings_gbp, 2) as planned_savings_gbp,
        round(actual_savings_gbp, 2) as actual_savings_gbp,
        round(planned_net_gbp, 2) as planned_net_gbp,
        round(actual_net_gbp, 2) as actual_net_gbp,
        round(cumulative_planned_net_gbp, 2) as cumulative_planned_net_gbp,
        case when actual_net_gbp is not null then round(cumulative_actual_net_gbp, 2) end
        as cumulative_actual_net_gbp,
        round(discount_factor, 6) as discount_factor,
        round(cumulative_planned_net_discounted_gbp, 2) as cumulative_planned_net_discounted_gbp,
        case when actual_net_gbp is not null then round(cumulative_actual_net_discounted_gbp, 2) end
        as cumulative_actual_net_discounted_gbp
    from cumulated
)

select * from final
