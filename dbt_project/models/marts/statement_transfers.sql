-- Statement-to-plan transfers by borough and month (September 2014 to December 2018): done in
-- the month, done within 18 weeks, done since the programme's start (August 2016), statements
-- still held at the month's end, and Hammersmith and Fulham's milestones (271 by April 2017,
-- all 677 by April 2018) where the month has one.
with

transfers as (
    select * from {{ ref('int_statement_transfers') }}
),

milestones as (
    select * from {{ ref('transfer_milestones') }}
),

boroughs as (
    select distinct borough from transfers
),

months as (
    select
        boroughs.borough,
        generate_series(
            date '{{ var("transfer_months_from") }}', date '{{ var("transfer_months_to") }}',
            interval '1 month'
        )::date as month_start
    from boroughs
),

monthly as (
    select
        months.borough,
        months.month_start,
        (months.month_start + interval '1 month' - interval '1 day')::date as month_end,
        count(t.transfer_key) filter (
            where t.is_transferred and date_trunc('month', t.transfer_on) = months.month_start
        )::int as transfers_done,
        count(t.transfer_key) filter (
            where t.is_within_18_weeks and date_trunc('month', t.transfer_on) = months.month_start
        )::int as transfers_within_18_weeks,
        count(t.transfer_key) filter (
            where t.is_transferred and t.transfer_on >= date '{{ var("transfer_programme_start", "2016-08-01") }}'
            and t.transfer_on < months.month_start + interval '1 month'
        )::int as transfers_done_since_programme_start,
        count(t.transfer_key) filter (
            where t.is_transferred and t.transfer_on < months.month_start + interval '1 month'
        )::int as transfers_done_to_date,
        count(t.transfer_key) filter (
            where t.statement_on < months.month_start + interval '1 month'
            and (t.transfer_on is null or t.transfer_on >= months.month_start + interval '1 month')
        )::int as statements_outstanding
    from months
    left join transfers as t on months.borough = t.borough
    group by 1, 2, 3
),

tri_borough as (
    {{ all_rows('monthly',
        columns=['borough', 'month_start', 'month_end'],
        measures=['transfers_done', 'transfers_within_18_weeks', 'transfers_done_since_programme_start',
                  'transfers_done_to_date', 'statements_outstanding'],
        cast='int') }}
),

with_tri_borough as (
    select * from monthly
    union all
    select * from tri_borough
),

final as (
    select
        with_tri_borough.borough,
        with_tri_borough.month_start,
        with_tri_borough.month_end,
        with_tri_borough.transfers_done,
        with_tri_borough.transfers_within_18_weeks,
        {{ pct(
            'with_tri_borough.transfers_within_18_weeks', 'with_tri_borough.transfers_done'
        ) }} as pc_within_18_weeks,
        with_tri_borough.transfers_done_since_programme_start,
        with_tri_borough.transfers_done_to_date,
        with_tri_borough.statements_outstanding,
        milestones.transfers_done_target as milestone_target,
        case
            when milestones.transfers_done_target is not null
                then with_tri_borough.transfers_done_since_programme_start >= milestones.transfers_done_target
        end as is_milestone_met
    from with_tri_borough
    left join milestones
        on
            with_tri_borough.borough = milestones.borough
            and with_tri_borough.month_start = milestones.milestone_month
)

select * from final
