-- A borough's 20-week denominator each year against the plans issued that year (requests
-- with a final plan, from the source that speaks for that year: int_requests_attributed;
-- DfE leaves out those that went to mediation or tribunal), and against its own bands.
with

timeliness as (
    select * from {marts}.ehc_timeliness
    where borough = {borough}
),

issued as (
    select issued_year as calendar_year, count(*) as plans_issued
    from intermediate.int_requests_attributed
    where borough = {borough} and is_source_for_issued_year and is_plan_issued and not has_dispute
    group by 1
),

final as (
    select
        'ehc_timeliness ' || coalesce(timeliness.calendar_year, issued.calendar_year) as figure,
        timeliness.plans_issued_den,
        issued.plans_issued,
        coalesce(timeliness.plans_issued_den, 0) - coalesce(issued.plans_issued, 0) as difference,
        timeliness.plans_issued_den - timeliness.plans_issued_within_20_weeks
            - timeliness."plans_issued_gt20weeks_ltYear" - timeliness.plans_issued_gt_1_year
            as band_difference
    from timeliness
    full join issued using (calendar_year)
)

select * from final
