-- Every money line of the borough's current ledger batches, and whether cost_centre_map knows
-- its cost centre. An unknown cost centre is never dropped (its lines stay in
-- high_needs_spend as s251_line 'unmapped' and are listed in ledger_unmapped_cost_centres),
-- but its spend reaches no S251, savings or investment line until the map is extended.
with

lines as (
    select * from staging.stg_ledger__lines
    where borough = {borough} and not is_statistical
),

cost_centres as (
    select borough, cost_centre from staging.cost_centre_map
),

final as (
    select
        lines.batch_id,
        lines.source_row,
        lines.cost_centre,
        exists (
            select 1 from cost_centres
            where cost_centres.borough = lines.borough and cost_centres.cost_centre = lines.cost_centre
        ) as is_mapped
    from lines
)

select * from final
