-- Statement-to-plan transfers (2014-2018) from the case systems. transfer_on is the date the
-- statement ended: the plan issued (outcome P) or the statement ceased (C); O is outstanding.
with

transfers as (
    select * from {{ ref('stg_case__transfers') }}
),

keys as (
    select * from {{ ref('pii_case_person_keys') }}
),

deduplicated as (
    select distinct on (borough, transfer_id) *
    from transfers
    order by borough asc, transfer_id asc, extract_on desc, source_row asc
),

timed as (
    select
        d.borough,
        {{ case_key('d.borough', 'transfer', 'd.transfer_id') }} as transfer_key,
        k.person_key,
        d.statement_on,
        d.review_started_on,
        d.transfer_on,
        d.transfer_outcome,
        d.transfer_outcome = 'P' as is_transferred,
        d.transfer_on - d.review_started_on as days_to_transfer,
        d.transfer_outcome = 'P'
        and d.transfer_on - d.review_started_on <= {{ transfer_deadline_days() }} as is_within_18_weeks
    from deduplicated as d
    left join keys as k using (borough, person_id)
),

final as (
    select * from timed
)

select * from final
