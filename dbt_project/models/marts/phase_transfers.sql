-- Phase transfers per borough (and ALL), year of the move and kind of transfer (EY, SEC,
-- P16, and 'all'), as at `today`: transfers due (the plan still held at the deadline),
-- amended plans finalised by the deadline (15 February, or 31 March into a post-16
-- institution; SEND Regulations 2014), finalised late, still open, and open past the deadline.
with

transfers as (
    select * from {{ ref('int_phase_transfers') }}
    where is_due
),

by_kind as (
    select
        borough,
        transfer_year,
        phase_transfer,
        count(*)::int as transfers_due,
        (count(*) filter (where is_final_by_due))::int as finalised_by_deadline,
        (count(*) filter (where is_final_late))::int as finalised_late,
        (count(*) filter (where is_open))::int as still_open,
        (count(*) filter (where is_overdue))::int as open_past_deadline
    from transfers
    group by borough, transfer_year, phase_transfer
),

every_kind as (
    {{ all_rows('by_kind',
                columns=['borough', 'transfer_year', 'phase_transfer'],
                measures=['transfers_due', 'finalised_by_deadline', 'finalised_late',
                          'still_open', 'open_past_deadline'],
                over='phase_transfer', cast='int') }}
),

kinds as (
    select
        borough,
        transfer_year,
        phase_transfer,
        transfers_due,
        finalised_by_deadline,
        finalised_late,
        still_open,
        open_past_deadline
    from by_kind
    union all
    select
        borough,
        transfer_year,
        lower(phase_transfer) as phase_transfer,
        transfers_due,
        finalised_by_deadline,
        finalised_late,
        still_open,
        open_past_deadline
    from every_kind
),

tri_borough as (
    {{ all_rows('kinds',
                columns=['borough', 'transfer_year', 'phase_transfer'],
                measures=['transfers_due', 'finalised_by_deadline', 'finalised_late',
                          'still_open', 'open_past_deadline'],
                cast='int') }}
),

with_tri_borough as (
    select * from kinds
    union all
    select * from tri_borough
),

final as (
    select
        borough,
        transfer_year,
        phase_transfer,
        case
            when phase_transfer = 'P16'
                then {{ yearly_deadline('post16_transfer_deadline', 'transfer_year') }}
            when phase_transfer <> 'all'
                then {{ yearly_deadline('phase_transfer_deadline', 'transfer_year') }}
        end as deadline_on,
        transfers_due,
        finalised_by_deadline,
        finalised_late,
        still_open,
        open_past_deadline,
        {{ pct('finalised_by_deadline', 'transfers_due') }} as pc_finalised_by_deadline,
        {{ today() }} as today_on
    from with_tri_borough
)

select * from final
