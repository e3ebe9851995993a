-- The ehc_timeliness measures by month up to 'today' (a run variable), for management trend
-- lines: requests by the month received, plans by the month issued (int_timeliness_counts).
-- The tri-borough row (borough = 'ALL') sums the boroughs before the percentages are taken.
{%- set timeliness_measures = [
    'requests_received_in_year',
    'requests_decided',
    'request_outcome_six_weeks',
    'plans_issued_den',
    'plans_issued_den_ex',
    'plans_issued_within_20_weeks',
    'plans_issued_20_weeks_ex',
    'plans_issued_gt20weeks_ltyear',
    'plans_issued_gt20weeks_ltyear_ex',
    'plans_issued_gt_1_year',
    'plans_issued_gt_1_year_ex',
] %}

with

monthly_counts as (
    select * from {{ ref('int_timeliness_counts') }}
),

by_borough as (
    select * from monthly_counts
    where month_start <= {{ today() }}
),

tri_borough as (
    {{ all_rows('by_borough', columns=['borough', 'month_start'], measures=timeliness_measures, cast='bigint') }}
),

with_tri_borough as (
    select
        borough,
        month_start,
        requests_received_in_year,
        requests_decided,
        request_outcome_six_weeks,
        plans_issued_den,
        plans_issued_den_ex,
        plans_issued_within_20_weeks,
        plans_issued_20_weeks_ex,
        plans_issued_gt20weeks_ltyear,
        plans_issued_gt20weeks_ltyear_ex,
        plans_issued_gt_1_year,
        plans_issued_gt_1_year_ex
    from by_borough
    union all
    select * from tri_borough
),

final as (
    select
        borough,
        month_start,
        requests_received_in_year::int as requests_received_in_year,
        requests_decided::int as requests_decided,
        request_outcome_six_weeks::int as request_outcome_six_weeks,
        {{ pct('request_outcome_six_weeks', 'requests_decided') }} as request_outcome_six_weeks_pc,
        plans_issued_den::int as plans_issued_den,
        plans_issued_den_ex::int as plans_issued_den_ex,
        plans_issued_within_20_weeks::int as plans_issued_within_20_weeks,
        plans_issued_20_weeks_ex::int as plans_issued_20_weeks_ex,
        {{ pct('plans_issued_within_20_weeks', 'plans_issued_den') }} as pc_plans_issued_within_20_weeks,
        {{ pct('plans_issued_20_weeks_ex', 'plans_issued_den_ex') }} as "PC_plans_issued_20_weeks_ex",
        plans_issued_gt20weeks_ltyear::int as "plans_issued_gt20weeks_ltYear",
        plans_issued_gt20weeks_ltyear_ex::int as "plans_issued_gt20weeks_ltYear_ex",
        plans_issued_gt_1_year::int as plans_issued_gt_1_year,
        plans_issued_gt_1_year_ex::int as plans_issued_gt_1_year_ex
    from with_tri_borough
)

select * from final
