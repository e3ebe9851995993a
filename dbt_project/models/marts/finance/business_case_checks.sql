-- The business case's own arithmetic: each total it prints
-- (seeds/finance/business_case_printed_totals.csv) beside the same total computed from
-- its lines. A printed total that differs at its printed precision is reported
-- (is_consistent = false), e.g. the 2017/18 investment total printed as 325 where the
-- lines add to 375. The other finance marts use the lines, never the printed totals.
{%- set finance = var('finance') %}
with

printed as (
    select * from {{ ref('business_case_printed_totals') }}
),

investment as (
    select * from {{ ref('business_case_investment') }}
),

savings as (
    select * from {{ ref('business_case_savings') }}
),

investment_by_line as (
    select
        'investment' as case_table,
        invest_line as row_item,
        'total' as column_item,
        sum(amount_gbp_000) as computed_gbp_000
    from investment
    group by 2
),

investment_by_year as (
    select
        'investment' as case_table,
        'total' as row_item,
        fiscal_year as column_item,
        sum(amount_gbp_000) as computed_gbp_000
    from investment
    group by 3
),

investment_total as (
    select sum(amount_gbp_000) as investment_gbp_000 from investment
),

savings_total as (
    select sum(annual_saving_gbp_000) as savings_per_year_gbp_000 from savings
),

case_totals as (
    -- one row: the investment over all years and the savings a year, from the lines
    select
        investment_total.investment_gbp_000,
        savings_total.savings_per_year_gbp_000
    from investment_total
    cross join savings_total
),

totals as (
    select
        'investment' as case_table,
        'total' as row_item,
        'total' as column_item,
        investment_gbp_000 as computed_gbp_000
    from case_totals
    union all
    select
        'savings' as case_table,
        'total' as row_item,
        'per_year' as column_item,
        savings_per_year_gbp_000 as computed_gbp_000
    from case_totals
    union all
    select
        'savings' as case_table,
        'total' as row_item,
        'years_1_5' as column_item,
        5 * savings_per_year_gbp_000 as computed_gbp_000
    from case_totals
    union all
    select
        'savings' as case_table,
        'total' as row_item,
        'years_1_10' as column_item,
        10 * savings_per_year_gbp_000 as computed_gbp_000
    from case_totals
    union all
    select
        'payback' as case_table,
        'total' as row_item,
        'years' as column_item,
        investment_gbp_000 / savings_per_year_gbp_000 as computed_gbp_000
    from case_totals
),

computed as (
    select * from investment_by_line
    union all
    select * from investment_by_year
    union all
    select * from totals
),

compared as (
    select
        printed.case_table,
        printed.row_item,
        printed.column_item,
        printed.description,
        printed.printed_gbp_000 as printed_value,
        round(computed.computed_gbp_000, 4) as computed_value,
        round(computed.computed_gbp_000, scale(printed.printed_gbp_000)) = printed.printed_gbp_000
        as is_consistent
    from printed
    left join computed using (case_table, row_item, column_item)
),

final as (
    select
        case_table,
        row_item,
        column_item,
        description,
        printed_value,
        computed_value,
        round(computed_value - printed_value, 4) as difference,
        coalesce(is_consistent, false) as is_consistent
    from compared
)

select * from final
