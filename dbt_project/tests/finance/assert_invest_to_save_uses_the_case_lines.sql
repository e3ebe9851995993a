-- The planned investment in invest_to_save is the business case's lines (2017/18: 375),
-- never its printed totals (325), and the programme row is the sum of its lines.
with

lines as (
    select
        fiscal_year_start,
        sum(amount_gbp_000) * 1000 as planned_gbp
    from {{ ref('business_case_investment') }}
    group by 1
),

mart as (
    select
        fiscal_year_start,
        planned_investment_gbp
    from {{ ref('invest_to_save') }}
    where line = 'ALL'
)

select
    fiscal_year_start,
    lines.planned_gbp as lines_planned_gbp,
    mart.planned_investment_gbp as mart_planned_investment_gbp
from lines
left join mart using (fiscal_year_start)
where mart.planned_investment_gbp is distinct from lines.planned_gbp
