{#
  The daily build rebuilds only the boroughs whose data changed (`sendwh build --only-changed`,
  sendwh/borough_scope.py). The models that are heavy and per borough (every row has a
  borough, nothing joins across boroughs, nothing reads `today()` but through the census
  dates) are incremental by borough:

      {{ config(**borough_incremental()) }}
      ...
      case_plans as (
          select * from {{ ref('stg_case__plans') }}
          where {{ in_changed_boroughs() }}
      ),

  A normal build (no `changed_boroughs` var) builds them whole, as tables (full_refresh).
  With the var (a list of borough codes, possibly empty), each import CTE reads only those
  boroughs, and the `borough_replace` strategy deletes the model's rows of those boroughs and
  inserts the new ones: every other borough's rows stay as the last published build left them.
#}
{% macro changed_boroughs() -%}
    {{ return(var('changed_boroughs', none)) }}
{%- endmacro %}

{% macro borough_incremental() -%}
    {#- a daily build runs the last build's project (sendwh/borough_scope.py): no new columns -#}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'borough_replace',
               'on_schema_change': 'fail', 'full_refresh': changed_boroughs() is none}) }}
{%- endmacro %}

{# A predicate: true on a whole build, `borough in (...)` on a daily one (false for none). #}
{% macro in_changed_boroughs(column='borough') -%}
    {%- if changed_boroughs() is none or not is_incremental() -%}
        true
    {%- else -%}
        {{ borough_in_list(column) }}
    {%- endif -%}
{%- endmacro %}

{% macro borough_in_list(column='borough') -%}
    {%- set boroughs = changed_boroughs() -%}
    {%- if boroughs | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
            {%- for borough in boroughs -%}
                {%- if not modules.re.fullmatch('[A-Z0-9]{1,12}', borough) -%}
                    {{ exceptions.raise_compiler_error("changed_boroughs: not a borough code: " ~ borough) }}
                {%- endif -%}
                '{{ borough }}'{{ ", " if not loop.last }}
            {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}

{#
  dbt's own macro, which every generic data test reads its model through, extended: on a daily
  build the tests of a model incremental by borough check the rebuilt boroughs' rows alone (the
  others are the last build's, which passed them; the keys they test are keyed by borough).
  Tests of every other model, and what a relationships test looks up, see every row.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if changed_boroughs() is not none and execute and model.attached_node
          and graph.nodes[model.attached_node].config.incremental_strategy == 'borough_replace' -%}
        {%- set where = "(" ~ (where or "true") ~ ") and " ~ borough_in_list() -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The `borough_replace` incremental strategy: the changed boroughs' rows replaced. #}
{% macro get_incremental_borough_replace_sql(arg_dict) -%}
    {%- if changed_boroughs() is none -%}
        {{ exceptions.raise_compiler_error("borough_replace needs the changed_boroughs var") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ arg_dict["target_relation"] }}
    where {{ in_changed_boroughs() }};

    insert into {{ arg_dict["target_relation"] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict["temp_relation"] }}
{%- endmacro %}
