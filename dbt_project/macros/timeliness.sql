{#
  The DfE timeliness measures for a grain: 'year' (ehc_timeliness) or 'month'
  (ehc_timeliness_monthly). Request measures fall in the period the request was received,
  plan measures in the period the plan was issued; each borough's period is counted from the
  source int_borough_coverage names for that year. A tri-borough row (borough = 'ALL') sums
  the boroughs before the percentages are taken.
#}
{% macro timeliness_measures(grain) %}
{%- set request_period = 'received_year' if grain == 'year' else 'received_month' -%}
{%- set plan_period = 'issued_year' if grain == 'year' else 'issued_month' -%}
{%- set period_column = 'calendar_year' if grain == 'year' else 'month_start' -%}
with

requests as (
    select * from {{ ref('int_requests_timed') }}
),

coverage as (
    select * from {{ ref('int_borough_coverage') }}
    where activity_source is not null
),

request_counts as (
    select
        requests.borough,
        requests.{{ request_period }} as period,
        count(*) as requests_received_in_year,
        count(*) filter (where is_decided) as requests_decided,
        count(*) filter (where is_decided_within_6_weeks) as request_outcome_six_weeks
    from requests
    inner join coverage
        on coverage.borough = requests.borough and coverage.year = requests.received_year
        and coverage.activity_source = requests.source
    group by 1, 2
),

plan_counts as (
    select
        requests.borough,
        requests.{{ plan_period }} as period,
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
    inner join coverage
        on coverage.borough = requests.borough and coverage.year = requests.issued_year
        and coverage.activity_source = requests.source
    where requests.is_counted_plan
    group by 1, 2
),

periods as (
    {%- if grain == 'year' %}
    select borough, year as period from coverage
    {%- else %}
    select borough, generate_series(make_date(year, 1, 1), make_date(year, 12, 1), interval '1 month')::date as period
    from coverage
    {%- endif %}
),

counts as (
    select
        periods.borough,
        periods.period,
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
    from periods
    left join request_counts as r using (borough, period)
    left join plan_counts as p using (borough, period)
    {%- if grain == 'month' %}
    where periods.period <= {{ today() }}
    {%- endif %}
),

tri_borough as (
    select
        'ALL' as borough,
        period,
        sum(requests_received_in_year)::bigint,
        sum(requests_decided)::bigint,
        sum(request_outcome_six_weeks)::bigint,
        sum(plans_issued_den)::bigint,
        sum(plans_issued_den_ex)::bigint,
        sum(plans_issued_within_20_weeks)::bigint,
        sum(plans_issued_20_weeks_ex)::bigint,
        sum(plans_issued_gt20weeks_ltyear)::bigint,
        sum(plans_issued_gt20weeks_ltyear_ex)::bigint,
        sum(plans_issued_gt_1_year)::bigint,
        sum(plans_issued_gt_1_year_ex)::bigint
    from counts
    group by period
),

all_rows as (
    select * from counts
    union all
    select * from tri_borough
),

final as (
    select
        borough,
        period{% if grain == 'year' %}::int{% endif %} as {{ period_column }},
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
    from all_rows
)

select * from final
{% endmacro %}
