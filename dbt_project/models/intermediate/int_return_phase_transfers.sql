-- The phase transfer a plan reports in a SEN2 return (items 5.6a PhaseTransferDueDate and
-- 5.6b PhaseTransferFinalDate, in returns from 2025), per source and collection year: from
-- the case systems, the plan's transfer whose statutory deadline falls in the collection's
-- year (int_phase_transfers); from a loaded SEN2 return, what that year's return said.
{{ config(**borough_incremental()) }}
with

case_transfers as (
    select * from {{ ref('int_phase_transfers') }}
    where {{ in_changed_boroughs() }}
),

sen2_active as (
    select * from {{ ref('stg_sen2__active_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_plans as (
    select * from {{ ref('stg_sen2__named_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

from_case as (
    select distinct on (borough, plan_key, transfer_year)
        borough,
        'case' as source,
        plan_key,
        transfer_year as collection_year,
        due_on,
        final_on
    from case_transfers
    order by borough asc, plan_key asc, transfer_year asc, due_on desc, phase_transfer_key asc
),

from_sen2 as (
    select distinct on (a.borough, plan_key, a.return_year)
        a.borough,
        'sen2' as source,
        {{ sen2_plan_key('k.person_key', 'p.start_on') }} as plan_key,
        a.return_year as collection_year,
        a.phase_transfer_due_on as due_on,
        a.phase_transfer_final_on as final_on
    from sen2_active as a
    inner join sen2_keys as k using (batch_id, person_seq)
    inner join sen2_plans as p using (batch_id, person_seq, request_seq)
    where a.phase_transfer_due_on is not null
    order by a.borough asc, plan_key asc, a.return_year asc, a.phase_transfer_due_on desc
),

final as (
    select * from from_case
    union all
    select * from from_sen2
)

select * from final
