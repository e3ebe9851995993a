-- Every coded value in the borough's current batches of one source kind (its SEN2 returns,
-- or its latest case extract after the layout's code map), and whether its code list has it.
with

sen2_coded as (
    select batch_id, source_row, 'SENtype' as field, need_type::text as code, 'need' as list
    from staging.stg_sen2__needs where borough = {borough}
    union all
    select batch_id, source_row, 'SENsetting', sen_setting::text, 'setting'
    from staging.stg_sen2__placements where borough = {borough} and sen_setting is not null
    union all
    select batch_id, source_row, 'RequestOutcome', request_outcome::text, 'request_outcome'
    from staging.stg_sen2__requests where borough = {borough} and request_outcome is not null
    union all
    select batch_id, source_row, 'AssessmentOutcome', assessment_outcome::text, 'assessment_outcome'
    from staging.stg_sen2__assessments where borough = {borough} and assessment_outcome is not null
    union all
    select batch_id, source_row, 'CeaseReason', cease_reason::text, 'cease_reason'
    from staging.stg_sen2__named_plans where borough = {borough} and cease_reason is not null
),

case_coded as (
    select batch_id, source_row, 'need_type' as field, need_type::text as code, 'need' as list
    from staging.stg_case__needs where borough = {borough}
    union all
    select batch_id, source_row, 'sen_setting', sen_setting::text, 'setting'
    from staging.stg_case__placements where borough = {borough} and sen_setting is not null
    union all
    select batch_id, source_row, 'request_outcome', request_outcome::text, 'request_outcome'
    from staging.stg_case__requests where borough = {borough} and request_outcome is not null
    union all
    select batch_id, source_row, 'assessment_outcome', assessment_outcome::text, 'assessment_outcome'
    from staging.stg_case__assessments where borough = {borough} and assessment_outcome is not null
    union all
    select batch_id, source_row, 'cease_reason', cease_reason::text, 'cease_reason'
    from staging.stg_case__ceased_plans where borough = {borough} and cease_reason is not null
),

coded as (
    select * from sen2_coded where {source_kind} = 'sen2'
    union all
    select * from case_coded where {source_kind} = 'case'
),

code_lists as (
    select list, code from intermediate.int_code_lists
),

final as (
    select
        coded.batch_id,
        coded.source_row,
        coded.field,
        code_lists.code is not null as code_known
    from coded
    left join code_lists using (list, code)
)

select * from final
