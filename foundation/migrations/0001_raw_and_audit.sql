-- Migration 0001: schemas, raw tables (one shape per source kind), audit batches.
-- Raw tables keep every batch; staging reads only batches whose status is 'loaded'.
-- Idempotent (`if not exists`, `or replace`) so that it adopts a warehouse the set-up
-- before migrations created; migrations after 0004 need not be.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists audit;

create table if not exists audit.batches (
    batch_id        bigserial primary key,
    source_kind     text not null check (source_kind in ('sen2', 'case', 'ledger', 'dfe')),
    borough         text,
    dataset         text not null,
    period          text not null,
    file_name       text not null,
    file_path       text not null,
    sha256          text not null,
    status          text not null check (status in ('loading', 'loaded', 'superseded', 'rejected')),
    rows_loaded     bigint not null default 0,
    rows_by_table   jsonb not null default '{}'::jsonb,
    reason          text,
    error_row       bigint,
    error_field     text,
    quarantine_path text,
    superseded_by   bigint references audit.batches (batch_id),
    started_at      timestamptz not null default now(),
    finished_at     timestamptz,
    load_seconds    numeric(12, 3)
);
create index if not exists batches_sha_idx on audit.batches (source_kind, sha256);
create index if not exists batches_key_idx on audit.batches (source_kind, borough, dataset, period);

create or replace view audit.quarantine as
select batch_id, source_kind, borough, file_name, reason, error_row, error_field,
       quarantine_path, started_at
from audit.batches
where status = 'rejected';

create or replace view audit.current_batches as
select * from audit.batches where status = 'loaded';

-- The boroughs extract/layouts/*.yml define (rewritten by every set-up).
create table if not exists raw.boroughs (
    borough text primary key, borough_name text not null, la_number text not null, ons_code text
);

-- Case-system extracts: every borough's layout lands in these shapes (extract/layouts/*.yml).
create table if not exists raw.case_persons (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_id text not null, upn text, uln text, upn_unknown text, surname text,
    forename text, birth_date date, sex text, ethnicity text, postcode text
);
create table if not exists raw.case_requests (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    request_id text not null, person_id text not null, received_date date,
    request_source text, rya boolean, request_outcome text, request_outcome_date date,
    request_mediation boolean, request_tribunal boolean
);
create table if not exists raw.case_assessments (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    request_id text not null, assessment_outcome text, assessment_outcome_date date,
    week20 boolean, assessment_mediation boolean, assessment_tribunal boolean
);
create table if not exists raw.case_plans (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    plan_id text not null, request_id text, person_id text not null, start_date date,
    plan_res text, plan_wbp text, pb boolean, oa boolean, dp text
);
create table if not exists raw.case_placements (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    placement_id text not null, plan_id text not null, urn text, ukprn text, sen_setting text,
    placement_rank text, entry_date date, leaving_date date, sen_unit boolean,
    resourced_provision boolean
);
create table if not exists raw.case_needs (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_id text not null, need_type text, need_rank text, recorded_date date
);
create table if not exists raw.case_reviews (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    review_id text not null, plan_id text not null, review_date date, review_outcome text
);
create table if not exists raw.case_ceased_plans (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    plan_id text not null, cease_date date, cease_reason text
);
create table if not exists raw.case_transfers (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    transfer_id text not null, person_id text not null, statement_date date,
    review_start_date date, transfer_date date, transfer_outcome text
);

-- SEN2 XML returns (sen2-spec.md): one row per element, keyed by position in the file.
create table if not exists raw.sen2_headers (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    collection text, year integer, reference_date date, lea text, software_code text,
    release text, serial_no text, generated_at timestamp, dmo text, dco text, dsco text
);
create table if not exists raw.sen2_persons (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, surname text, forename text, birth_date date, sex text,
    ethnicity text, postcode text, upn text, uln text, upn_unknown text
);
create table if not exists raw.sen2_requests (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, received_date date,
    request_source text, rya boolean, request_outcome_date date, request_outcome text,
    request_mediation boolean, request_tribunal boolean, exported text
);
create table if not exists raw.sen2_assessments (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, assessment_outcome text,
    assessment_outcome_date date, assessment_mediation boolean, assessment_tribunal boolean,
    other_mediation boolean, other_tribunal boolean, week20 boolean
);
create table if not exists raw.sen2_named_plans (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, start_date date,
    plan_res text, plan_wbp text, pb boolean, oa boolean, dp text, cease_date date,
    cease_reason text
);
create table if not exists raw.sen2_plan_details (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, detail_seq integer not null,
    urn text, ukprn text, sen_setting text, sen_setting_other text, placement_rank text,
    sen_unit boolean, resourced_provision boolean
);
create table if not exists raw.sen2_active_plans (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, transfer_la text,
    review_meeting date, review_outcome text, last_review date
);
create table if not exists raw.sen2_placements (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, placement_seq integer not null,
    urn text, ukprn text, sen_setting text, sen_setting_other text, placement_rank text,
    entry_date date, leaving_date date, sen_unit boolean, resourced_provision boolean,
    res text, wbp text
);
create table if not exists raw.sen2_needs (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    person_seq integer not null, request_seq integer not null, sen_type text,
    sen_type_rank text
);

-- Finance ledgers: one line per cost centre, subjective, period and value type.
create table if not exists raw.ledger_lines (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    fiscal_year integer not null, period smallint not null, cost_centre text not null,
    subjective text not null, value_type text not null, amount_gbp numeric(14, 2) not null
);

-- DfE published statistics, unpivoted: one row per published cell.
create table if not exists raw.dfe_ehcp (
    batch_id bigint not null, source_row bigint not null, release text, file_name text,
    time_period text, time_identifier text, geographic_level text, new_la_code text,
    old_la_code text, la_name text, region_code text, region_name text,
    breakdown_topic text, breakdown text, measure text not null, value numeric,
    marker text
);

do $$
declare t text;
begin
    foreach t in array array['case_persons','case_requests','case_assessments','case_plans',
        'case_placements','case_needs','case_reviews','case_ceased_plans','case_transfers',
        'sen2_headers','sen2_persons','sen2_requests','sen2_assessments','sen2_named_plans',
        'sen2_plan_details','sen2_active_plans','sen2_placements','sen2_needs',
        'ledger_lines','dfe_ehcp']
    loop
        execute format('create index if not exists %I on raw.%I (batch_id)', t || '_batch_idx', t);
    end loop;
end $$;
