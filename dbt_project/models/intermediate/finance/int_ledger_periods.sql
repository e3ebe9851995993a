-- The latest period loaded for each borough's fiscal year (12 = the year is closed: period
-- 12 is March, the year-end), and for the three boroughs together (borough = 'ALL': the
-- latest period every borough has reached).
with

lines as (
    select * from {{ ref('stg_ledger__lines') }}
),

by_borough as (
    select
        borough,
        fiscal_year_start,
        max(fiscal_year) as fiscal_year,
        max(period)::int as latest_period
    from lines
    group by 1, 2
),

all_boroughs as (
-- fiscal_year is fiscal_year_start written as councils write it (2017/18)
    {{ all_rows('by_borough',
        columns=['borough', 'fiscal_year_start', 'fiscal_year'],
        measures=['latest_period'], aggregate='min', cast='int') }}
),

final as (
    select
        *,
        latest_period = 12 as is_year_closed
    from by_borough
    union all
    select
        *,
        latest_period = 12 as is_year_closed
    from all_boroughs
)

select * from final
