-- The DfE timeliness counts per borough and month (sen2-spec.md, "Measures DfE publishes"),
-- which ehc_timeliness sums by year and ehc_timeliness_monthly shows by month. Request
-- measures fall in the month the request was received, plan measures in the month the plan
-- was issued, each counted from the source that speaks for that year
-- (int_requests_attributed). Every month of every year a source covers has a row, zeros
-- included.
with

requests as (
    select * from {{ ref('int_requests_attributed') }}
),

coverage as (
    select * from {{ ref('int_borough_coverage') }}
    where activity_source is not null
),

months as (
    select
        borough,
        year as calendar_year,
        generate_series(make_date(year, 1, 1), make_date(year, 12, 1), interval '1 month')::date
        as month_start
    from coverage
),

request_counts as (
    select
        borough,
        received_month as month_start,
        count(*) as requests_received_in_year,
        count(*) filter (where is_decided) as requests_decided,
        count(*) filter (where is_decided_within_6_weeks) as request_outcome_six_weeks
    from requests
    where is_source_for_received_year
    group by 1, 2
),

plan_counts as (
    select
        borough,
        issued_month as month_start,
        count(*) as plans_issued_den,
        count(*) filter (where not has_week20_exception) as plans_issued_den_ex,
        count(*) filter (where plan_timeliness_band = 'within_20_weeks') as plans_issued_within_20_weeks,
        count(*) filter (where plan_timeliness_band = 'within_20_weeks' and not has_week20_exception)
        as plans_issued_20_weeks_ex,
        count(*) filter (where plan_timeliness_band = 'over_20_weeks_within_year')
        as plans_issued_gt20weeks_ltyear,
        count(*) filter (where plan_timeliness_band = 'over_20_weeks_within_year' and not has_week20_exception)
        as plans_issued_gt20weeks_ltyear_ex,
        count(*) filter (where plan_timeliness_band = 'over_1_year') as plans_issued_gt_1_year,
        count(*) filter (where plan_timeliness_band = 'over_1_year' and not has_week20_exception)
        as plans_issued_gt_1_year_ex
    from requests
    where is_source_for_issued_year and is_counted_plan
    group by 1, 2
),

counts as (
    select
        months.borough,
        months.calendar_year,
        months.month_start,
        coalesce(r.requests_received_in_year, 0) as requests_received_in_year,
        coalesce(r.requests_decided, 0) as requests_decided,
        coalesce(r.request_outcome_six_weeks, 0) as request_outcome_six_weeks,
        coalesce(p.plans_issued_den, 0) as plans_issued_den,
        coalesce(p.plans_issued_den_ex, 0) as plans_issued_den_ex,
        coalesce(p.plans_issued_within_20_weeks, 0) as plans_issued_within_20_weeks,
        coalesce(p.plans_issued_20_weeks_ex, 0) as plans_issued_20_weeks_ex,
        coalesce(p.plans_issued_gt20weeks_ltyear, 0) as plans_issued_gt20weeks_ltyear,
        coalesce(p.plans_issued_gt20weeks_ltyear_ex, 0) as plans_issued_gt20weeks_ltyear_ex,
        coalesce(p.plans_issued_gt_1_year, 0) as plans_issued_gt_1_year,
        coalesce(p.plans_issued_gt_1_year_ex, 0) as plans_issued_gt_1_year_ex
    from months
    left join request_counts as r using (borough, month_start)
    left join plan_counts as p using (borough, month_start)
),

final as (
    select * from counts
)

select * from final
