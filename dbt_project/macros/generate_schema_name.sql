{#
  Schemas are named exactly (staging, intermediate, pii), not prefixed by the target.
  What is read outside dbt is written, audited, then published: dbt builds the marts into
  a build schema (var marts_build_schema, default marts_build) and the restricted models
  (the SEN2 return's rows, the forecast's history) into theirs (var
  restricted_build_schema, default restricted_build); the quality gates check them there,
  and only then are both swapped into `marts` and `restricted` in one transaction
  (expectations/publish.py).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name == 'marts' -%}
        {{ var('marts_build_schema', 'marts_build') }}
    {%- elif custom_schema_name == 'restricted' -%}
        {{ var('restricted_build_schema', 'restricted_build') }}
    {%- else -%}
        {{ custom_schema_name if custom_schema_name else target.schema }}
    {%- endif -%}
{%- endmacro %}
