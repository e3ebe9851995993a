{#
  The rows of a raw table that staging reads: those loaded by a current batch of their source
  kind (stg_audit__current_batches: loaded, never superseded or rejected), with the batch's
  period as `batch_period` (a case extract's date, a SEN2 return's year). A case extract is a
  full snapshot, so for source kind 'case' only the latest extract of each borough's dataset
  counts. Every staging model over a batched raw table reads its source through it:

      source as (
          {{ current_batch_rows(source('raw', 'case_requests'), 'case') }}
      ),
#}
{% macro current_batch_rows(relation, source_kind) -%}
    select
        source.*,
        batches.period as batch_period
    from {{ relation }} as source
    inner join {{ ref('stg_audit__current_batches') }} as batches using (batch_id)
    where batches.source_kind = '{{ source_kind }}'
    {%- if source_kind == 'case' %}
        and batches.is_latest_extract
    {%- endif %}
{%- endmacro %}
