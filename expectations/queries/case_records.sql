-- Every record of the borough's latest case extract with its own key, to find duplicates.
-- Persons are not here: a layout with one row per request (HF) repeats its person on each,
-- and the loader already refuses a file that repeats a person with different details.
with

keyed as (
    select batch_id, source_row, 'request' as entity, request_id as record_key
    from staging.stg_case__requests where borough = {borough}
    union all
    select batch_id, source_row, 'assessment', request_id
    from staging.stg_case__assessments where borough = {borough}
    union all
    select batch_id, source_row, 'plan', plan_id
    from staging.stg_case__plans where borough = {borough}
    union all
    select batch_id, source_row, 'placement', placement_id
    from staging.stg_case__placements where borough = {borough}
    union all
    select batch_id, source_row, 'need', person_id || '/' || need_rank || '/' || need_type
    from staging.stg_case__needs where borough = {borough}
    union all
    select batch_id, source_row, 'review', review_id
    from staging.stg_case__reviews where borough = {borough}
    union all
    select batch_id, source_row, 'ceased plan', plan_id
    from staging.stg_case__ceased_plans where borough = {borough}
    union all
    select batch_id, source_row, 'transfer', transfer_id
    from staging.stg_case__transfers where borough = {borough}
    union all
    select batch_id, source_row, 'phase transfer', phase_transfer_id
    from staging.stg_case__phase_transfers where borough = {borough}
),

final as (
    select batch_id, source_row, entity, entity || ':' || record_key as record_key
    from keyed
)

select * from final
