-- The borough's files of one source kind that the loader refused, and whether a good file
-- has since stood in for each (the loader marks a refused batch `superseded_by` a later
-- load, or re-offer, of the same file name or of the same dataset and period). One still
-- unreplaced means its data is missing from what would be published.
with

refused as (
    select * from audit.batches
    where borough = {borough} and source_kind = {source_kind} and status = 'rejected'
),

final as (
    select
        batch_id,
        error_row,
        error_field,
        superseded_by is not null as is_replaced
    from refused
)

select * from final
