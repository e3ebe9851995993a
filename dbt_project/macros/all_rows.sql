{#
  The 'ALL' rows: one row per group whose `over` column is 'ALL' and whose measures sum the
  rows of the group (the boroughs for the tri-borough total; the lines for a programme total).
  A mart with an ALL row set unions these rows onto its per-borough rows:

      tri_borough as (
          {{ all_rows('by_borough', columns=['census_year', 'borough', 'age_band'],
                      measures=['ehcplans'], cast='int') }}
      ),

      final as (
          select * from by_borough
          union all
          select * from tri_borough
      )

  relation   the CTE or relation with one row per borough (or line) and group
  columns    the grouping columns, in the order the rows carry them, including `over`
             itself (it becomes 'ALL'; the rest are grouped by); the measures follow them
  measures   the columns aggregated, each keeping its name
  over       the column that becomes 'ALL' (default borough; e.g. line, savings_line)
  cast       a type for the aggregated measures (e.g. 'int', 'bigint'), if they need one
  aggregate  sum by default; min where ALL is what every borough has reached
             (int_ledger_periods)

  Used by ehc_timeliness, ehc_timeliness_monthly, ehcp_caseload, statement_transfers,
  placement_unit_costs, high_needs_spend, savings_delivery, int_ledger_periods and
  int_invest_to_save_flows.
  The ALL rows are checked against the boroughs' by the quality gate mart_tri_borough
  (expectations/queries/mart_tri_borough.sql).
#}
{% macro all_rows(relation, columns, measures, over='borough', cast=none, aggregate='sum') -%}
    {%- set group_by = columns | reject('equalto', over) | list -%}
    select
        {%- for column in columns %}
        {% if column == over %}'ALL' as {% endif %}{{ column }},
        {%- endfor %}
        {%- for measure in measures %}
        {{ aggregate }}({{ measure }}){{ '::' ~ cast if cast }} as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if group_by %}
    group by {{ group_by | join(', ') }}
    {%- endif %}
{%- endmacro %}
