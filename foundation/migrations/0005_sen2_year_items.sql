-- Migration 0005: the SEN2 items of every collection year's shape (seeds/sen2_profiles.csv):
-- 2023's AttendancePattern (PlacementDetail) and Res/WBP under ActivePlans; the review draft
-- and phase-transfer dates of ActivePlans (voluntary 2025, mandatory 2026). 2023's
-- GenderCurrent is read into sen2_persons.sex (0/9 -> U, 1 -> M, 2 -> F: seeds/gender_current).
alter table raw.sen2_placements add column if not exists attendance_pattern text;
alter table raw.sen2_active_plans add column if not exists res text;
alter table raw.sen2_active_plans add column if not exists wbp text;
alter table raw.sen2_active_plans add column if not exists review_draft date;
alter table raw.sen2_active_plans add column if not exists phase_transfer_due_date date;
alter table raw.sen2_active_plans add column if not exists phase_transfer_final_date date;
