-- The DfE timeliness measures per borough and calendar year (sen2-spec.md, "Measures DfE
-- publishes"): requests fall in the year they were received, plans in the year they were
-- issued, each from the source that speaks for that year (int_timeliness_counts). The
-- tri-borough row (borough = 'ALL') sums the boroughs before the percentages are taken.
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
    select
        borough,
        calendar_year,
        sum(requests_received_in_year)::bigint as requests_received_in_year,
        sum(requests_decided)::bigint as requests_decided,
        sum(request_outcome_six_weeks)::bigint as request_outcome_six_weeks,
        sum(plans_issued_den)::bigint as plans_issued_den,
        sum(plans_issued_den_ex)::bigint as plans_issued_den_ex,
        sum(plans_issued_within_20_weeks)::bigint as plans_issued_within_20_weeks,
        sum(plans_issued_20_weeks_ex)::bigint as plans_issued_20_weeks_ex,
        sum(plans_issued_gt20weeks_ltyear)::bigint as plans_issued_gt20weeks_ltyear,
        sum(plans_issued_gt20weeks_ltyear_ex)::bigint as plans_issued_gt20weeks_ltyear_ex,
        sum(plans_issued_gt_1_year)::bigint as plans_issued_gt_1_year,
        sum(plans_issued_gt_1_year_ex)::bigint as plans_issued_gt_1_year_ex
    from monthly_counts
    group by 1, 2
),

tri_borough as (
    {{ all_rows('by_borough', columns=['borough', 'calendar_year'], measures=timeliness_measures, cast='bigint') }}
),

with_tri_borough as (
    select * from by_borough
    union all
    select * from tri_borough
),

final as (
    select
        borough,
        calendar_year::int as calendar_year,
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
