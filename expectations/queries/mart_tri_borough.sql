-- Each tri-borough (ALL) figure against the sum of the boroughs' figures, in the marts
-- about to be published: every measure a mart sums over the boroughs, at the mart's grain
-- (the ALL rows are made by the dbt macro all_rows).
with

caseload as (
    select
        'ehcp_caseload' as mart,
        concat_ws(' ', census_year, age_band, primary_need, placement_group, sex) as grain,
        'ehcplans' as measure,
        sum(ehcplans) filter (where borough = 'ALL') as tri_borough,
        sum(ehcplans) filter (where borough <> 'ALL') as boroughs
    from {marts}.ehcp_caseload
    group by census_year, age_band, primary_need, placement_group, sex
),

timeliness as (
    select 'ehc_timeliness', calendar_year::text, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.ehc_timeliness
    cross join lateral (values
        ('requests_received_in_year', requests_received_in_year),
        ('requests_decided', requests_decided),
        ('request_outcome_six_weeks', request_outcome_six_weeks),
        ('plans_issued_den', plans_issued_den),
        ('plans_issued_den_ex', plans_issued_den_ex),
        ('plans_issued_within_20_weeks', plans_issued_within_20_weeks),
        ('plans_issued_20_weeks_ex', plans_issued_20_weeks_ex),
        ('plans_issued_gt20weeks_ltYear', "plans_issued_gt20weeks_ltYear"),
        ('plans_issued_gt20weeks_ltYear_ex', "plans_issued_gt20weeks_ltYear_ex"),
        ('plans_issued_gt_1_year', plans_issued_gt_1_year),
        ('plans_issued_gt_1_year_ex', plans_issued_gt_1_year_ex)
    ) as measures (measure, value)
    group by calendar_year, measure
),

timeliness_monthly as (
    select 'ehc_timeliness_monthly', month_start::text, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.ehc_timeliness_monthly
    cross join lateral (values
        ('requests_received_in_year', requests_received_in_year),
        ('requests_decided', requests_decided),
        ('request_outcome_six_weeks', request_outcome_six_weeks),
        ('plans_issued_den', plans_issued_den),
        ('plans_issued_den_ex', plans_issued_den_ex),
        ('plans_issued_within_20_weeks', plans_issued_within_20_weeks),
        ('plans_issued_20_weeks_ex', plans_issued_20_weeks_ex),
        ('plans_issued_gt20weeks_ltYear', "plans_issued_gt20weeks_ltYear"),
        ('plans_issued_gt20weeks_ltYear_ex', "plans_issued_gt20weeks_ltYear_ex"),
        ('plans_issued_gt_1_year', plans_issued_gt_1_year),
        ('plans_issued_gt_1_year_ex', plans_issued_gt_1_year_ex)
    ) as measures (measure, value)
    group by month_start, measure
),

transfers as (
    select 'statement_transfers', month_start::text, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.statement_transfers
    cross join lateral (values
        ('transfers_done', transfers_done),
        ('transfers_within_18_weeks', transfers_within_18_weeks),
        ('transfers_done_to_date', transfers_done_to_date),
        ('statements_outstanding', statements_outstanding)
    ) as measures (measure, value)
    group by month_start, measure
),

unit_costs as (
    select 'placement_unit_costs', fiscal_year_start || ' ' || placement_group, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.placement_unit_costs
    cross join lateral (values
        ('placements', placements::numeric),
        ('spend_gbp', spend_gbp)
    ) as measures (measure, value)
    group by fiscal_year_start, placement_group, measure
),

spend as (
    select 'high_needs_spend', fiscal_year_start || ' ' || s251_line, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.high_needs_spend
    cross join lateral (values
        ('actual_gbp', actual_gbp),
        ('budget_to_date_gbp', budget_to_date_gbp),
        ('commitment_gbp', commitment_gbp)
    ) as measures (measure, value)
    group by fiscal_year_start, s251_line, measure
),

reviews as (
    select 'annual_reviews', period_type || ' ' || period_start, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.annual_reviews
    cross join lateral (values
        ('plans_due_review', plans_due_review),
        ('reviews_within_12_months', reviews_within_12_months),
        ('reviews_late', reviews_late),
        ('reviews_not_held', reviews_not_held),
        ('reviews_overdue_at_period_end', reviews_overdue_at_period_end),
        ('review_meetings', review_meetings),
        ('decisions_within_4_weeks', decisions_within_4_weeks),
        ('decisions_late', decisions_late),
        ('decisions_awaited', decisions_awaited)
    ) as measures (measure, value)
    group by period_type, period_start, measure
),

phase_transfers as (
    select 'phase_transfers', transfer_year || ' ' || phase_transfer, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.phase_transfers
    cross join lateral (values
        ('transfers_due', transfers_due),
        ('finalised_by_deadline', finalised_by_deadline),
        ('finalised_late', finalised_late),
        ('still_open', still_open),
        ('open_past_deadline', open_past_deadline)
    ) as measures (measure, value)
    group by transfer_year, phase_transfer, measure
),

compared as (
    select * from caseload
    union all select * from timeliness
    union all select * from timeliness_monthly
    union all select * from transfers
    union all select * from unit_costs
    union all select * from spend
    union all select * from reviews
    union all select * from phase_transfers
),

final as (
    select
        mart || ' ' || measure || ' ' || grain as figure,
        tri_borough,
        boroughs,
        coalesce(tri_borough, 0) - coalesce(boroughs, 0) as difference
    from compared
)

select * from final
