{#
  Person keys are HMAC-SHA256 (RFC 2104) of the borough and a stable identifier. The key's
  inner and outer pads are in pii.pseudonym_key, written by `sendwh build` from the
  SENDWH_PSEUDONYM_KEY setting, so the secret never appears in compiled SQL on disk.
  PostgreSQL's built-in sha256() is the hash; no extension is needed.
#}
{% macro person_key(borough, person_ref) -%}
    encode(sha256(
        (select opad from pii.pseudonym_key)
        || sha256((select ipad from pii.pseudonym_key) || convert_to({{ borough }} || ':' || {{ person_ref }}, 'UTF8'))
    ), 'hex')
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
