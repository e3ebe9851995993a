-- Migration 0004: the restricted `pii` schema and the pseudonymisation key's HMAC pads,
-- which the dbt macro person_key() reads (the secret itself never reaches SQL). The pads
-- are written by foundation/pseudonym.py before each dbt run. Idempotent, to adopt a
-- warehouse where `sendwh build` created the table before migrations.
create schema if not exists pii;
revoke all on schema pii from public;

create table if not exists pii.pseudonym_key (
    ipad bytea not null,
    opad bytea not null
);
