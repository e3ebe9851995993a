{# The statutory constants, each in one place (dbt_project.yml vars). #}
{% macro decision_deadline_days() %}{{ var('decision_deadline_days') }}{% endmacro %}
{% macro plan_deadline_days() %}{{ var('plan_deadline_days') }}{% endmacro %}
{% macro transfer_deadline_days() %}{{ var('transfer_deadline_days') }}{% endmacro %}
{% macro one_year_days() %}{{ var('one_year_days') }}{% endmacro %}
{% macro review_decision_days() %}{{ var('review_decision_days') }}{% endmacro %}

{# The date a plan's next annual review is due: `months` (the review_interval_months var) after
   its issue or its last review. #}
{% macro review_due_on(since) -%}
    ({{ since }} + interval '{{ var("review_interval_months") }} months')::date
{%- endmacro %}

{# A yearly deadline (a MM-DD var: phase_transfer_deadline, post16_transfer_deadline) in a year. #}
{% macro yearly_deadline(var_name, year) -%}
    to_date(({{ year }})::text || '-' || '{{ var(var_name) }}', 'YYYY-MM-DD')
{%- endmacro %}

{# "today": the `today` var, else SENDWH_TODAY (set by the DAG's `today` param), else the
   database's current date. #}
{% macro today() -%}
    {%- set day = var('today') or env_var('SENDWH_TODAY', '') -%}
    {%- if day -%} date '{{ day }}' {%- else -%} current_date {%- endif -%}
{%- endmacro %}

{# Percentage to one decimal place; null when the denominator is zero. #}
{% macro pct(numerator, denominator) -%}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 1)
{%- endmacro %}
