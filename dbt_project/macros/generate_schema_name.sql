{#
  Schemas are named exactly (staging, intermediate, pii), not prefixed by the target.
  Marts are written, audited, then published: dbt builds them into the build schema
  (var marts_build_schema, default marts_build); the quality gates check them there, and
  only then are they swapped into `marts` (expectations/publish.py).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name == 'marts' -%}
        {{ var('marts_build_schema', 'marts_build') }}
    {%- else -%}
        {{ custom_schema_name if custom_schema_name else target.schema }}
    {%- endif -%}
{%- endmacro %}
