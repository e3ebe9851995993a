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

computed as (
    select
        'investment' as case_table,
        invest_line as row_item,
        'total' as column_item,
        sum(amount_gbp_000) as computed_gbp_000
    from investment
    group by 2
    union all
    select
        'investment',
        'total',
        fiscal_year,
        sum(amount_gbp_000)
    from investment
    group by 3
    union all
    select
        'investment',
        'total',
        'total',
        sum(amount_gbp_000)
    from investment
    union all
    select
        'savings',
        'total',
        'per_year',
        sum(annual_saving_gbp_000)
    from savings
    union all
    select
        'savings',
        'total',
        'years_1_5',
        5 * sum(annual_saving_gbp_000)
    from savings
    union all
    select
        'savings',
        'total',
        'years_1_10',
        10 * sum(annual_saving_gbp_000)
    from savings
    union all
    select
        'payback',
        'total',
        'years',
        (select sum(amount_gbp_000) from investment) / sum(annual_saving_gbp_000)
    from savings
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
