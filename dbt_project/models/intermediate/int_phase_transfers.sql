-- Phase transfers of the case systems' plans: a plan reviewed and amended ahead of a move
-- between school phases, finalised by 15 February of the year of the move (var
-- phase_transfer_deadline), or into a post-16 institution (P16), by 31 March (var
-- post16_transfer_deadline); SEND Regulations 2014. The deadline is the statutory one for
-- the year of the move; the case system's own record of it is kept beside it. `due_on` and
-- `final_on` are SEN2's PhaseTransferDueDate and PhaseTransferFinalDate (items 5.6a, 5.6b).
with

plans as (
    select * from {{ ref('int_plans') }}
    where source = 'case'
),

case_phase_transfers as (
    select * from {{ ref('stg_case__phase_transfers') }}
),

deduplicated as (
    select distinct on (borough, phase_transfer_id)
        borough,
        phase_transfer_id,
        {{ case_key('borough', 'case', 'plan_id') }} as plan_key,
        phase_transfer,
        transfer_on,
        recorded_due_on,
        final_on
    from case_phase_transfers
    order by borough asc, phase_transfer_id asc, extract_on desc, source_row asc
),

with_deadline as (
    select
        deduplicated.*,
        extract(year from deduplicated.transfer_on)::int as transfer_year,
        case
            when deduplicated.phase_transfer = 'P16'
                then {{ yearly_deadline('post16_transfer_deadline', 'extract(year from deduplicated.transfer_on)') }}
            else {{ yearly_deadline('phase_transfer_deadline', 'extract(year from deduplicated.transfer_on)') }}
        end as due_on
    from deduplicated
),

of_plans as (
    select
        with_deadline.*,
        plans.person_key,
        plans.start_on as plan_start_on,
        plans.cease_on as plan_cease_on
    from with_deadline
    inner join plans using (borough, plan_key)
),

final as (
    select
        borough,
        {{ case_key('borough', 'case:phase transfer', 'phase_transfer_id') }} as phase_transfer_key,
        plan_key,
        person_key,
        phase_transfer,
        transfer_on,
        transfer_year,
        due_on,
        recorded_due_on,
        final_on,
        plan_start_on,
        plan_cease_on,
        not coalesce(recorded_due_on = due_on, false) as is_recorded_due_different,
        coalesce(plan_cease_on >= due_on, true) as is_due,
        coalesce(final_on <= due_on, false) as is_final_by_due,
        coalesce(final_on > due_on, false) as is_final_late,
        final_on is null as is_open,
        final_on is null and due_on < {{ today() }} as is_overdue,
        final_on - due_on as days_final_after_due
    from of_plans
)

select * from final
