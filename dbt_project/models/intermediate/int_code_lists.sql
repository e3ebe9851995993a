-- Every SEN2 code list in one place, as (list, code): what the quality gates check each
-- coded value of the sources against (expectations/queries/*_codes.sql).
with

need_types as (
    select
        'need' as list,
        need_type::text as code
    from {{ ref('need_types') }}
),

settings as (
    select
        'setting' as list,
        sen_setting::text as code
    from {{ ref('sen_settings') }}
),

request_outcomes as (
    select
        'request_outcome' as list,
        request_outcome::text as code
    from {{ ref('request_outcomes') }}
),

assessment_outcomes as (
    select
        'assessment_outcome' as list,
        assessment_outcome::text as code
    from {{ ref('assessment_outcomes') }}
),

cease_reasons as (
    select
        'cease_reason' as list,
        cease_reason::text as code
    from {{ ref('cease_reasons') }}
),

final as (
    select * from need_types
    union all
    select * from settings
    union all
    select * from request_outcomes
    union all
    select * from assessment_outcomes
    union all
    select * from cease_reasons
)

select * from final
