-- Annual reviews per borough (and ALL) and month or calendar year, as at `today`:
-- plans due a review in the period (12 months after the plan's issue or its last review) and
-- how those reviews went (held within 12 months, held late, not yet held); reviews overdue at
-- the end of the period (a stock: due before it, not held by then, the plan still held);
-- review meetings held in the period and their decisions (notified within 4 weeks, late,
-- awaited). Periods run from the first month with a review due or held to today's month.
with

cycles as (
    select * from {{ ref('int_annual_reviews') }}
),

bounds as (
    select
        date_trunc('month', min(least(due_on, coalesce(review_on, due_on))))::date as first_month,
        date_trunc('month', {{ today() }})::date as last_month
    from cycles
    where due_on <= {{ today() }} or review_on is not null
),

months as (
    select
        'month' as period_type,
        month_start::date as period_start,
        (month_start + interval '1 month')::date as period_end
    from bounds
    cross join generate_series(first_month, last_month, interval '1 month') as month_start
),

years as (
    select
        'year' as period_type,
        year_start::date as period_start,
        (year_start + interval '1 year')::date as period_end
    from bounds
    cross join generate_series(
        date_trunc('year', first_month), date_trunc('year', last_month), interval '1 year'
    ) as year_start
),

periods as (
    select * from months
    union all
    select * from years
),

boroughs as (
    select distinct borough from cycles
),

grid as (
    select
        boroughs.borough,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        least(periods.period_end - 1, {{ today() }}) as as_at_on
    from boroughs
    cross join periods
),

-- Each cycle is counted in the month and the year of its date (an equality join on the
-- period, not a range join of every cycle against every period: at 153 councils that range
-- join took most of this model's minute, bench/README.md "England")
period_types as (
    select period_type from (values ('month'), ('year')) as types (period_type)
),

due as (
    select
        cycles.borough,
        period_types.period_type,
        date_trunc(period_types.period_type, cycles.due_on)::date as period_start,
        count(*) as plans_due_review,
        count(*) filter (where cycles.is_held_within_12_months) as reviews_within_12_months,
        count(*) filter (where cycles.is_held_late) as reviews_late,
        count(*) filter (where not cycles.is_held) as reviews_not_held
    from cycles
    cross join period_types
    where cycles.due_on <= {{ today() }}
    group by 1, 2, 3
),

-- Reviews overdue at a period's end (a stock): a cycle is overdue on day d when
-- due_on < d < least(review_on, plan_cease_on) (neither known: no end). A running sum of +1
-- the day after due_on and -1 the day it stops being overdue (never, when that is not after
-- due_on), each change counted at the end of its month (or today): every period ends there.
overdue_changes as (
    select
        borough,
        due_on + 1 as change_on,
        1 as change
    from cycles
    where due_on is not null
    union all
    select
        borough,
        greatest(least(review_on, plan_cease_on), due_on + 1) as change_on,
        -1 as change
    from cycles
    where due_on is not null and coalesce(review_on, plan_cease_on) is not null
),

overdue_changes_by_month as (
    select
        borough,
        least(
            (date_trunc('month', change_on) + interval '1 month' - interval '1 day')::date,
            {{ today() }}
        ) as as_at_on,
        sum(change) as change
    from overdue_changes
    where change_on <= {{ today() }}
    group by 1, 2
),

as_at_days as (
    select distinct
        borough,
        as_at_on
    from grid
),

overdue_stock as (
    select
        as_at_days.borough,
        as_at_days.as_at_on,
        sum(coalesce(overdue_changes_by_month.change, 0)) over (
            partition by as_at_days.borough
            order by as_at_days.as_at_on
        ) as reviews_overdue_at_period_end
    from as_at_days
    left join overdue_changes_by_month using (borough, as_at_on)
),

overdue as (
    select
        grid.borough,
        grid.period_type,
        grid.period_start,
        overdue_stock.reviews_overdue_at_period_end
    from grid
    inner join overdue_stock using (borough, as_at_on)
),

meetings as (
    select
        cycles.borough,
        period_types.period_type,
        date_trunc(period_types.period_type, cycles.review_on)::date as period_start,
        count(*) as review_meetings,
        count(*) filter (where cycles.is_decision_within_4_weeks) as decisions_within_4_weeks,
        count(*) filter (
            where not cycles.is_decision_within_4_weeks and not cycles.is_decision_awaited
        ) as decisions_late,
        count(*) filter (where cycles.is_decision_awaited) as decisions_awaited
    from cycles
    cross join period_types
    where cycles.review_on is not null
    group by 1, 2, 3
),

by_borough as (
    select
        grid.borough,
        grid.period_type,
        grid.period_start,
        coalesce(due.plans_due_review, 0)::int as plans_due_review,
        coalesce(due.reviews_within_12_months, 0)::int as reviews_within_12_months,
        coalesce(due.reviews_late, 0)::int as reviews_late,
        coalesce(due.reviews_not_held, 0)::int as reviews_not_held,
        coalesce(overdue.reviews_overdue_at_period_end, 0)::int as reviews_overdue_at_period_end,
        coalesce(meetings.review_meetings, 0)::int as review_meetings,
        coalesce(meetings.decisions_within_4_weeks, 0)::int as decisions_within_4_weeks,
        coalesce(meetings.decisions_late, 0)::int as decisions_late,
        coalesce(meetings.decisions_awaited, 0)::int as decisions_awaited
    from grid
    left join due using (borough, period_type, period_start)
    left join overdue using (borough, period_type, period_start)
    left join meetings using (borough, period_type, period_start)
),

tri_borough as (
    {{ all_rows('by_borough',
                columns=['borough', 'period_type', 'period_start'],
                measures=['plans_due_review', 'reviews_within_12_months', 'reviews_late',
                          'reviews_not_held', 'reviews_overdue_at_period_end', 'review_meetings',
                          'decisions_within_4_weeks', 'decisions_late', 'decisions_awaited'],
                cast='int') }}
),

with_tri_borough as (
    select * from by_borough
    union all
    select * from tri_borough
),

final as (
    select
        borough,
        period_type,
        period_start,
        extract(year from period_start)::int as calendar_year,
        case when period_type = 'month' then extract(month from period_start)::int end as month,
        plans_due_review,
        reviews_within_12_months,
        reviews_late,
        reviews_not_held,
        {{ pct('reviews_within_12_months', 'plans_due_review') }} as pc_reviews_within_12_months,
        reviews_overdue_at_period_end,
        review_meetings,
        decisions_within_4_weeks,
        decisions_late,
        decisions_awaited,
        {{ pct('decisions_within_4_weeks', 'review_meetings') }} as pc_decisions_within_4_weeks,
        {{ today() }} as today_on
    from with_tri_borough
)

select * from final
