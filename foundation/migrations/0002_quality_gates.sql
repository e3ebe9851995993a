-- Migration 0002: the data-quality gates' history in `audit`, and the identifier checks
-- they run in SQL. Idempotent, to adopt a warehouse created before migrations.

-- One row per gate run (a `sendwh build`, or the DAG's quality_gates task).
create table if not exists audit.dq_runs (
    run_id          text primary key,
    started_at      timestamptz not null default now(),
    finished_at     timestamptz,
    run_date        date not null,                -- the "today" the checks were judged against
    build_schema    text not null,                -- where the marts under test were built
    status          text not null default 'running',   -- running | passed | warned | blocked
    blocking_failures integer,
    warnings        integer,
    published       boolean not null default false,
    data_docs       text                          -- Data Docs index, relative to the outputs folder
);

-- One row per expectation per borough per run.
create table if not exists audit.dq_results (
    run_id          text not null references audit.dq_runs (run_id) on delete cascade,
    borough         text not null,                -- HF, KC, WCC ... or ALL for tri-borough checks
    source          text not null,                -- sen2, case, ledger, or mart
    asset           text not null,                -- the query the expectation ran on
    check_name      text not null,
    severity        text not null check (severity in ('block', 'warn')),
    expectation     text not null,                -- the Great Expectations expectation type
    passed          boolean not null,
    observed_value  numeric,                      -- failing rows, or the measured value
    observed_unit   text not null,                -- 'failing rows' or 'value'
    rows_checked    bigint,
    threshold       text not null,
    failing_rows    jsonb not null default '[]'::jsonb,   -- the first failing rows (ids, not identifiers)
    description     text not null,
    primary key (run_id, borough, source, asset, check_name, expectation)
);

create index if not exists dq_results_trend on audit.dq_results (borough, source, check_name);

-- What the programme board reads: every check of every run, newest first.
create or replace view audit.dq_scorecard as
select
    runs.run_id,
    runs.started_at as run_at,
    runs.run_date,
    results.borough,
    results.source,
    results.check_name as "check",
    results.severity,
    results.observed_value,
    results.observed_unit,
    results.threshold,
    results.passed,
    case when results.passed then 'pass' when results.severity = 'block' then 'fail (blocking)'
         else 'fail (warning)' end as outcome,
    runs.status as run_status,
    runs.published as run_published,
    results.rows_checked,
    results.asset,
    results.description
from audit.dq_results as results
inner join audit.dq_runs as runs using (run_id);

comment on view audit.dq_scorecard is
    'Data-quality gate results by run, borough, source and check (analysts may read this).';

-- UPN check letter (sen2-spec.md "Identifier checks"; the same rule as foundation/identifiers.py,
-- which tests compare this against): weights 2..13 over characters 2..13, digits by value,
-- a letter in position 13 by its place in the 23-letter alphabet, the sum modulo 23.
create or replace function audit.upn_is_valid(upn text) returns boolean
language sql immutable parallel safe as $$
    select case
        when upn is null then null
        when upn !~ '^[A-Z][0-9]{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$' then false
        else substr('ABCDEFGHJKLMNPQRTUVWXYZ', (
                select sum((i + 1) * case
                    when substr(upn, i + 1, 1) ~ '[0-9]' then substr(upn, i + 1, 1)::int
                    else strpos('ABCDEFGHJKLMNPQRTUVWXYZ', substr(upn, i + 1, 1)) end)
                from generate_series(1, 12) as i
            )::int % 23 + 1, 1) = substr(upn, 1, 1)
    end
$$;

-- ULN check digit: weights 10..2 over the first nine digits; 10 minus the sum modulo 11.
create or replace function audit.uln_is_valid(uln text) returns boolean
language sql immutable parallel safe as $$
    select case
        when uln is null then null
        when uln !~ '^[0-9]{10}$' then false
        else (
            select case when sum(substr(uln, i, 1)::int * (11 - i)) % 11 = 0 then false
                        else 10 - sum(substr(uln, i, 1)::int * (11 - i)) % 11 = substr(uln, 10, 1)::int end
            from generate_series(1, 9) as i
        )
    end
$$;
