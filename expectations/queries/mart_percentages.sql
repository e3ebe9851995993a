-- Every percentage in the marts about to be published, for one borough or for the
-- tri-borough rows (ALL).
with

timeliness as (
    select 'ehc_timeliness ' || calendar_year as figure, measure, value
    from {marts}.ehc_timeliness
    cross join lateral (values
        ('request_outcome_six_weeks_pc', request_outcome_six_weeks_pc),
        ('pc_plans_issued_within_20_weeks', pc_plans_issued_within_20_weeks),
        ('PC_plans_issued_20_weeks_ex', "PC_plans_issued_20_weeks_ex")
    ) as measures (measure, value)
    where borough = {borough}
),

monthly as (
    select 'ehc_timeliness_monthly ' || month_start, measure, value
    from {marts}.ehc_timeliness_monthly
    cross join lateral (values
        ('request_outcome_six_weeks_pc', request_outcome_six_weeks_pc),
        ('pc_plans_issued_within_20_weeks', pc_plans_issued_within_20_weeks),
        ('PC_plans_issued_20_weeks_ex', "PC_plans_issued_20_weeks_ex")
    ) as measures (measure, value)
    where borough = {borough}
),

transfers as (
    select 'statement_transfers ' || month_start, 'pc_within_18_weeks', pc_within_18_weeks
    from {marts}.statement_transfers
    where borough = {borough}
),

reviews as (
    select 'annual_reviews ' || period_type || ' ' || period_start, measure, value
    from {marts}.annual_reviews
    cross join lateral (values
        ('pc_reviews_within_12_months', pc_reviews_within_12_months),
        ('pc_decisions_within_4_weeks', pc_decisions_within_4_weeks)
    ) as measures (measure, value)
    where borough = {borough}
),

phase_transfers as (
    select 'phase_transfers ' || transfer_year || ' ' || phase_transfer, 'pc_finalised_by_deadline',
        pc_finalised_by_deadline
    from {marts}.phase_transfers
    where borough = {borough}
),

final as (
    select figure || ' ' || measure as figure, value as percentage
    from (
        select * from timeliness
        union all select * from monthly
        union all select * from transfers
        union all select * from reviews
        union all select * from phase_transfers
    ) as all_percentages
    where value is not null
)

select * from final
