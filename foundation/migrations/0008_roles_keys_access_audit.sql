-- Migration 0008 (issue 14): the pseudonymisation key leaves the warehouse, and the audit
-- records who ran each step.
--
-- Until now pii.pseudonym_key held the HMAC pads of SENDWH_PSEUDONYM_KEY, and a pad XOR its
-- constant is the key itself: anyone who could read the table could re-derive every person
-- key. The key is now given to dbt's sessions only, as the session setting `sendwh.key`
-- (set at connection time by sendwh/dbt_runner.py; a session setting is never stored), and
-- pii.hmac_pad() computes a pad from it inside the statement that needs it.
drop table if exists pii.pseudonym_key;

create or replace function pii.hmac_pad(pad integer) returns bytea
language plpgsql stable parallel safe
set search_path = pg_catalog
as $$
declare
    secret text := current_setting('sendwh.key', true);
    k bytea;
begin
    if secret is null or secret = '' then
        raise exception 'the session has no pseudonymisation key (sendwh.key): person and case '
            'keys are computed only by dbt run through sendwh (sendwh build, sendwh-dbt)';
    end if;
    k := convert_to(secret, 'UTF8');
    if length(k) > 64 then
        k := sha256(k);                       -- RFC 2104: a key longer than the block is hashed
    end if;
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    for i in 0..63 loop
        k := set_byte(k, i, get_byte(k, i) # pad);
    end loop;
    return k;
end
$$;
comment on function pii.hmac_pad(integer) is
    'HMAC-SHA256 pad (0x36 inner, 0x5c outer) of the session''s sendwh.key; stores nothing.';

-- Who ran each step: the login (session_user: the person or the pipeline's login) and the
-- role it acted as (current_user).
alter table audit.batches add column if not exists loaded_by text default session_user;
alter table audit.batches add column if not exists loaded_as text default current_user;
alter table audit.dq_runs add column if not exists run_by text default session_user;
alter table audit.dq_runs add column if not exists run_as text default current_user;
alter table forecast.runs add column if not exists run_by text default session_user;
alter table forecast.runs add column if not exists run_as text default current_user;

create table audit.pipeline_steps (
    step_id     bigint generated always as identity primary key,
    step        text not null,              -- dbt, publish, forecast, sen2 generate, ...
    detail      text,                       -- dbt's invocation id, the gate run, the borough
    at          timestamptz not null default now(),
    login_role  text not null default session_user,
    acting_role text not null default current_user
);
comment on table audit.pipeline_steps is
    'One row per pipeline step run (dbt, publish, forecast, SEN2 return): who ran it, as which role.';

-- The staging views of persons (UPN, ULN, names, birth dates, postcodes) are built in the
-- restricted pii schema from now on; the old ones go (dbt does not drop what it moved).
drop view if exists staging.stg_case__persons;
drop view if exists staging.stg_sen2__persons;
