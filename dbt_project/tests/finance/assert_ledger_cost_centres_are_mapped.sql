-- Warns while a ledger carries cost centres cost_centre_map does not know; they are
-- listed in ledger_unmapped_cost_centres and counted under s251_line 'unmapped' in
-- high_needs_spend, never dropped.
{{ config(severity='warn') }}

select * from {{ ref('ledger_unmapped_cost_centres') }}
