-- Migration 0010 (issue 15, item 3): the quality gates' work schema. Each gate run computes
-- the rows of each check query once into an unlogged table here (dropped as soon as its
-- checks are judged; a killed run's are dropped by the next run) for Great Expectations to
-- read. The rows can carry fingerprints of personal details (the SEN2 persons checks), so
-- the schema is the engineer's alone: no grant to anyone else.
create schema if not exists gates_work;
revoke all on schema gates_work from public;
