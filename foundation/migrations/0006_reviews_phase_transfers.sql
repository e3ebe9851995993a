-- Migration 0006: annual reviews and phase transfers in the case extracts (issue 12, item 4).
-- A review record gains the decision after the meeting (the date it was notified), the draft
-- amended plan and the final amended plan; phase transfers (a plan amended ahead of a move
-- between school phases, or into a post-16 institution) get their own raw table. Each
-- borough's layout (extract/layouts/*.yml) names them in its own columns and codes.
alter table raw.case_reviews
    add column decision_date date,
    add column draft_plan_date date,
    add column final_plan_date date;

create table raw.case_phase_transfers (
    batch_id bigint not null, borough text not null, source_row bigint not null,
    phase_transfer_id text not null, plan_id text not null, phase_transfer text,
    transfer_date date, due_date date, final_date date
);
create index case_phase_transfers_batch_idx on raw.case_phase_transfers (batch_id);
