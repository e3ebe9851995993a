-- Activity counted on statistical ledger lines (seeds/finance/statistical_subjectives.csv),
-- by borough, savings line, fiscal year and period: the "activity" of a demand-led saving
-- (seeds/finance/savings_measures.csv). Actual value type only.
with

lines as (
    select * from {{ ref('stg_ledger__lines') }}
    where is_statistical and value_type = 'actual'
),

cost_centres as (
    select * from {{ ref('cost_centre_map') }}
),

measures as (
    select * from {{ ref('savings_measures') }}
),

activity as (
    select
        lines.borough,
        cost_centres.savings_line,
        lines.fiscal_year_start,
        lines.period,
        sum(lines.activity_units) as activity_units
    from lines
    inner join cost_centres
        on
            lines.borough = cost_centres.borough
            and lines.cost_centre = cost_centres.cost_centre
    inner join measures
        on
            cost_centres.savings_line = measures.savings_line
            and lines.subjective = measures.activity_subjective
    group by 1, 2, 3, 4
),

final as (
    select * from activity
)

select * from final
