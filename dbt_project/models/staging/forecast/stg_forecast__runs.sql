-- Ephemeral (inlined into the forecast marts, which are views): a staging view here would be
-- dropped and recreated by every dbt run, and DROP ... CASCADE would take the published
-- marts views that read it with it.
{{ config(materialized='ephemeral') }}

with

source as (
    select * from {{ source('forecast', 'runs') }}
),

final as (
    select
        run_id,
        kind as run_kind,
        started_at,
        finished_at,
        origin_year
    from source
)

select * from final
