-- Migration 0013 (issue 15, item 3): what each build's dbt built on, so that the next daily
-- build (`sendwh build --only-changed`) can rebuild only the boroughs whose data changed
-- since (sendwh/borough_scope.py): the dbt project's files, the `today` it built as at, each
-- borough's batches as they stood when its dbt started, and the boroughs it rebuilt (null:
-- every borough).
alter table audit.build_runs add column if not exists built_project text;
alter table audit.build_runs add column if not exists built_today date;
alter table audit.build_runs add column if not exists built_boroughs text[];
alter table audit.build_runs add column if not exists built_batches jsonb;
comment on column audit.build_runs.built_project is
    'sha256 of the dbt project''s files (and dbt''s version) this build''s dbt ran';
comment on column audit.build_runs.built_today is
    'the date this build''s models were built as at (dbt''s `today`)';
comment on column audit.build_runs.built_boroughs is
    'the boroughs a daily build rebuilt (its models incremental by borough); null when it '
    'rebuilt every borough';
comment on column audit.build_runs.built_batches is
    '{borough: md5 of its batches'' ids and statuses} when this build''s dbt started: a borough '
    'whose digest differs at the next build sent, lost or replaced a file since';
