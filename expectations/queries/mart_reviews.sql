-- A borough's (or the tri-borough) annual reviews and phase transfers, in the marts about to
-- be published: each split adds up to its total (reviews due = within 12 months + late + not
-- held; meetings = decisions within 4 weeks + late + awaited; transfers due = finalised by
-- the deadline + late + still open), a year's flows are the sum of its months, and a year's
-- 'all' phase-transfer row is the sum of its kinds.
with

reviews as (
    select * from {marts}.annual_reviews
    where borough = {borough}
),

transfers as (
    select * from {marts}.phase_transfers
    where borough = {borough}
),

review_bands as (
    select
        'annual_reviews ' || period_type || ' ' || period_start as figure,
        plans_due_review - reviews_within_12_months - reviews_late - reviews_not_held
            + abs(review_meetings - decisions_within_4_weeks - decisions_late - decisions_awaited)
            as band_difference,
        0 as sum_difference
    from reviews
),

months_in_years as (
    select
        'annual_reviews year ' || years.period_start || ' against its months' as figure,
        0 as band_difference,
        abs(years.plans_due_review - sum(months.plans_due_review))
            + abs(years.review_meetings - sum(months.review_meetings)) as sum_difference
    from reviews as years
    inner join reviews as months
        on
            months.period_type = 'month'
            and months.calendar_year = years.calendar_year
    where years.period_type = 'year'
    group by years.period_start, years.plans_due_review, years.review_meetings
),

transfer_bands as (
    select
        'phase_transfers ' || transfer_year || ' ' || phase_transfer as figure,
        transfers_due - finalised_by_deadline - finalised_late - still_open as band_difference,
        0 as sum_difference
    from transfers
),

kinds_in_all as (
    select
        'phase_transfers ' || transfer_year || ' all against its kinds' as figure,
        0 as band_difference,
        abs(sum(transfers_due) filter (where phase_transfer = 'all')
            - coalesce(sum(transfers_due) filter (where phase_transfer <> 'all'), 0)) as sum_difference
    from transfers
    group by transfer_year
),

final as (
    select * from review_bands
    union all select * from months_in_years
    union all select * from transfer_bands
    union all select * from kinds_in_all
)

select * from final
