-- The batches staging reads. Precedence inside a source kind: a corrected file for the same
-- period has already superseded the old one (extract/loader.py); a case extract is a full
-- snapshot, so only the latest extract of each borough's dataset counts.
with

batches as (
    select * from {{ source('audit', 'batches') }}
),

loaded as (
    select * from batches
    where status = 'loaded'
),

ranked as (
    select
        batch_id,
        source_kind,
        borough,
        dataset,
        period,
        finished_at as loaded_at,
        row_number() over (
            partition by source_kind, borough, dataset
            order by period desc, batch_id desc
        ) = 1 as is_latest_extract
    from loaded
),

final as (
    select * from ranked
)

select * from final
