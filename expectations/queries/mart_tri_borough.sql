-- Each tri-borough (ALL) figure against the sum of the boroughs' figures, in the marts
-- about to be published.
with

caseload as (
    select 'ehcp_caseload' as mart, census_year::text as period, 'ehcplans' as measure,
        sum(ehcplans) filter (where borough = 'ALL') as tri_borough,
        sum(ehcplans) filter (where borough <> 'ALL') as boroughs
    from {marts}.ehcp_caseload
    group by census_year
),

timeliness as (
    select 'ehc_timeliness', calendar_year::text, measure,
        sum(value) filter (where borough = 'ALL'), sum(value) filter (where borough <> 'ALL')
    from {marts}.ehc_timeliness
    cross join lateral (values
        ('requests_received_in_year', requests_received_in_year),
        ('plans_issued_den', plans_issued_den),
        ('plans_issued_within_20_weeks', plans_issued_within_20_weeks)
    ) as measures (measure, value)
    group by calendar_year, measure
),

transfers as (
    select 'statement_transfers', month_start::text, 'transfers_done',
        sum(transfers_done) filter (where borough = 'ALL'),
        sum(transfers_done) filter (where borough <> 'ALL')
    from {marts}.statement_transfers
    group by month_start
),

compared as (
    select * from caseload
    union all select * from timeliness
    union all select * from transfers
),

final as (
    select
        mart || ' ' || measure || ' ' || period as figure,
        tri_borough,
        boroughs,
        coalesce(tri_borough, 0) - coalesce(boroughs, 0) as difference
    from compared
)

select * from final
