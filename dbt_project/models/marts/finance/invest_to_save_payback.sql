-- Payback of the invest-to-save programme, planned (the business case's flows) and actual
-- (ledger flows): total investment; savings over years 1-5 and 1-10; simple payback = the
-- savings years it takes for cumulative savings to reach the total investment, counted
-- from the first savings year and interpolated within the year (with flat savings this is
-- investment / annual saving: 687.5 / 224 = 3.07); discounted payback = the same with
-- every flow discounted at var finance.discount_rate a year to the plan's first year.
-- Null when not (yet) paid back.
{%- set finance = var('finance') %}
with

flows as (
    select * from {{ ref('int_invest_to_save_flows') }}
    where line = 'ALL'
),

by_basis as (
    select
        'planned' as basis,
        fiscal_year_start,
        savings_year,
        discount_factor,
        planned_investment_gbp as investment_gbp,
        planned_savings_gbp as savings_gbp,
        periods_loaded
    from flows
    where savings_year is null or savings_year <= {{ finance['appraisal_years'] }}
    union all
    select
        'actual' as basis,
        fiscal_year_start,
        savings_year,
        discount_factor,
        actual_investment_gbp as investment_gbp,
        actual_savings_gbp as savings_gbp,
        periods_loaded
    from flows
    where periods_loaded is not null
),

investment as (
    select
        basis,
        sum(investment_gbp) as investment_gbp,
        sum(investment_gbp * discount_factor) as investment_discounted_gbp
    from by_basis
    group by 1
),

savings_years as (
    select
        basis,
        savings_year,
        periods_loaded,
        coalesce(savings_gbp, 0) as savings_gbp,
        coalesce(savings_gbp, 0) * discount_factor as savings_discounted_gbp,
        sum(coalesce(savings_gbp, 0)) over running as cumulative_gbp,
        sum(coalesce(savings_gbp, 0) * discount_factor) over running as cumulative_discounted_gbp
    from by_basis
    where savings_year >= 1
    window running as (
        partition by basis
        order by savings_year
        rows between unbounded preceding and current row
    )
),

crossings as (
    -- the first savings year in which cumulative savings reach the investment, and how far
    -- into that year (linear within the year)
    select
        savings_years.basis,
        (
            array_agg(
                savings_years.savings_year - 1
                + (investment.investment_gbp - (savings_years.cumulative_gbp - savings_years.savings_gbp))
                / nullif(savings_years.savings_gbp, 0)
                order by savings_years.savings_year
            )
            filter (
                where savings_years.cumulative_gbp >= investment.investment_gbp
                and savings_years.cumulative_gbp - savings_years.savings_gbp < investment.investment_gbp
            )
        )[1] as payback_years,
        (
            array_agg(
                savings_years.savings_year - 1
                + (
                    investment.investment_discounted_gbp
                    - (savings_years.cumulative_discounted_gbp - savings_years.savings_discounted_gbp)
                )
                / nullif(savings_years.savings_discounted_gbp, 0)
                order by savings_years.savings_year
            )
            filter (
                where savings_years.cumulative_discounted_gbp >= investment.investment_discounted_gbp
                and savings_years.cumulative_discounted_gbp - savings_years.savings_discounted_gbp
                < investment.investment_discounted_gbp
            )
        )[1] as discounted_payback_years
    from savings_years
    inner join investment using (basis)
    group by 1
),

totals as (
    select
        basis,
        count(*) filter (where basis = 'planned' or periods_loaded = 12) as savings_years_closed,
        sum(savings_gbp) filter (where savings_year <= 5) as savings_years_1_5_gbp,
        sum(savings_gbp) filter (where savings_year <= 10) as savings_years_1_10_gbp,
        avg(savings_gbp) filter (where basis = 'planned' or periods_loaded = 12) as annual_savings_gbp
    from savings_years
    group by 1
),

final as (
    select
        investment.basis,
        round(investment.investment_gbp, 2) as investment_gbp,
        round(investment.investment_discounted_gbp, 2) as investment_discounted_gbp,
        totals.savings_years_closed::int as savings_years_closed,
        round(totals.annual_savings_gbp, 2) as annual_savings_gbp,
        round(totals.savings_years_1_5_gbp, 2) as savings_years_1_5_gbp,
        round(totals.savings_years_1_10_gbp, 2) as savings_years_1_10_gbp,
        round(crossings.payback_years, 2) as simple_payback_years,
        round(crossings.payback_years, 1) as simple_payback_years_1dp,
        round(crossings.discounted_payback_years, 2) as discounted_payback_years,
        {{ finance['discount_rate'] }}::numeric as discount_rate
    from investment
    inner join totals using (basis)
    left join crossings using (basis)
)

select * from final
