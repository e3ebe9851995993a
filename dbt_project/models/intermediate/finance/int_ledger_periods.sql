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
    select
        'ALL' as borough,
        fiscal_year_start,
        max(fiscal_year) as fiscal_year,
        min(latest_period)::int as latest_period
    from by_borough
    group by 1, 2
),

final as (
    select *, latest_period = 12 as is_year_closed from by_borough
    union all
    select *, latest_period = 12 as is_year_closed from all_boroughs
)

select * from final
