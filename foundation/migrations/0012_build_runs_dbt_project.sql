-- Migration 0012 (issue 15, item 3): what a build's dbt ran its seeds and unit tests on. A
-- daily build (`sendwh build --only-changed`) skips both when the dbt project's files are
-- those of the last published build that ran them: seeds are the project's own files, loaded
-- into `staging` (never swapped), and unit tests check the models' SQL on fixed inputs, so
-- neither depends on the data a day brings.
alter table audit.build_runs add column if not exists dbt_project text;
comment on column audit.build_runs.dbt_project is
    'sha256 of the dbt project''s files (and dbt''s version) when this build loaded every seed '
    'and passed every unit test; null when it selected or skipped nodes';
