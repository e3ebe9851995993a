-- Migration 0007: runs that die converge (issue 13, item 3). Every `sendwh build` is
-- recorded while it runs (its process, host and stage), so that the next one can tell a
-- live build from a dead one and clean up after the dead; and every publish records the
-- gate run it published and what it swapped in, so that readers of the published schemas
-- (the SEN2 return, the forecast) can check that what they read passed a completed gate run.

-- One row per `sendwh build`. A build holds a PostgreSQL advisory lock for its whole life:
-- the next build that finds the lock free and a row still `running` knows that build died.
create table audit.build_runs (
    build_id        bigint generated always as identity primary key,
    pid             integer not null,             -- the `sendwh build` process
    host            text not null,
    application_name text not null,               -- its connections' (and dbt's) application_name
    started_at      timestamptz not null default now(),
    stage           text not null default 'starting'
                    check (stage in ('starting', 'dbt', 'gates', 'publish', 'done')),
    stage_at        timestamptz not null default now(),
    gate_run_id     text references audit.dq_runs (run_id),
    finished_at     timestamptz,
    outcome         text not null default 'running'
                    check (outcome in ('running', 'published', 'dbt_failed', 'blocked', 'failed',
                                       'interrupted', 'killed')),
    cleaned_up      text                          -- for a killed build: what the next one did about it
);

create index build_runs_running on audit.build_runs (build_id) where outcome = 'running';

-- One row per publish of the build schemas by a gate run (expectations/publish.py): the
-- gate run, and the published schemas' relations (names and oids) as the swap left them.
-- A reader compares the published schemas now with the newest row's fingerprint.
create table audit.publications (
    publication_id  bigint generated always as identity primary key,
    gate_run_id     text not null references audit.dq_runs (run_id),
    published_at    timestamptz not null default now(),
    schemas         text[] not null,              -- the published schemas, e.g. {marts,restricted}
    relations       integer not null,
    fingerprint     text not null                 -- md5 of their relations' names and oids
);

-- A warehouse published before this migration: what is published now is adopted as the
-- newest gate run's that passed (or warned) and was published, so readers go on reading it.
insert into audit.publications (gate_run_id, published_at, schemas, relations, fingerprint)
select runs.run_id, coalesce(runs.finished_at, runs.started_at), array['marts', 'restricted'],
       published.relations, published.fingerprint
from (select run_id, finished_at, started_at from audit.dq_runs
      where published and status in ('passed', 'warned')
      order by started_at desc limit 1) as runs
cross join (
    select count(*) as relations,
           md5(coalesce(string_agg(n.nspname || '.' || c.relname || ':' || c.oid::text, ','
                                   order by n.nspname, c.relname), '')) as fingerprint
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('marts', 'restricted') and c.relkind in ('r', 'v', 'm', 'p')
) as published
where published.relations > 0;

comment on column audit.dq_runs.status is
    'running | passed | warned | blocked | abandoned (its process died before the verdict)';
