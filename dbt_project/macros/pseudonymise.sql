{#
  Every key an analyst sees is HMAC-SHA256 (RFC 2104), keyed with SENDWH_PSEUDONYM_KEY: a
  plain hash of a borough's guessable ids (case numbers, request ids) can be reversed by
  hashing every candidate. The secret is never stored in the warehouse, nor in compiled SQL:
  dbt's sessions are given it at connection time as the session setting `sendwh.key`
  (sendwh/dbt_runner.py), and pii.hmac_pad() (migration 0008) makes the pads from it inside
  the statement, once (an InitPlan). PostgreSQL's built-in sha256() is the hash.
#}
{% macro keyed_hash(text_expression) -%}
    encode(sha256(
        (select pii.hmac_pad(92))
        || sha256((select pii.hmac_pad(54)) || convert_to({{ text_expression }}, 'UTF8'))
    ), 'hex')
{%- endmacro %}

{# A person's key: the borough and the person's stable identifier (person_ref). #}
{% macro person_key(borough, person_ref) -%}
    {{ keyed_hash(borough ~ " || ':' || " ~ person_ref) }}
{%- endmacro %}

{#
  A case-system record's key (plan, request, review, transfer): borough, kind and its id.
  Unit tests that give plan keys as literals set var keyed_case_ids false (an unkeyed md5 of
  the same text): they test the logic, and must pass whatever the deployment's key is.
#}
{% macro case_key(borough, kind, id) -%}
    {%- if var('keyed_case_ids', true) -%}
        {{ keyed_hash(borough ~ " || ':" ~ kind ~ ":' || " ~ id) }}
    {%- else -%}
        md5({{ borough }} || ':{{ kind }}:' || {{ id }})
    {%- endif -%}
{%- endmacro %}

{# The stable identifier a person is known by: UPN, else ULN, else names and birth date. #}
{% macro person_ref(upn, uln, surname, forename, birth_date) -%}
    coalesce(
        'UPN:' || upper(nullif(trim({{ upn }}), '')),
        'ULN:' || nullif(trim({{ uln }}), ''),
        'NDB:' || lower(trim({{ surname }})) || '|' || lower(trim({{ forename }})) || '|' || {{ birth_date }}::text
    )
{%- endmacro %}

{# A plan in a SEN2 return has no id of its own: it is its person and its start date. #}
{% macro sen2_plan_key(person_key, start_on) -%}
    md5({{ person_key }} || ':plan:' || {{ start_on }})
{%- endmacro %}
