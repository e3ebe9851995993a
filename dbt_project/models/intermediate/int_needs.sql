-- Primary and secondary needs per person, with the date from which each applies. SEN2
-- needs apply from their return's census date.
{{ config(**borough_incremental()) }}
with

case_needs as (
    select * from {{ ref('stg_case__needs') }}
    where {{ in_changed_boroughs() }}
),

case_keys as (
    select * from {{ ref('pii_case_person_keys') }}
    where {{ in_changed_boroughs() }}
),

sen2_needs as (
    select * from {{ ref('stg_sen2__needs') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

sen2_headers as (
    select * from {{ ref('stg_sen2__headers') }}
    where {{ in_changed_boroughs() }}
),

from_case as (
    select distinct
        n.borough,
        'case' as source,
        k.person_key,
        n.need_type,
        n.need_rank,
        n.recorded_on
    from case_needs as n
    inner join case_keys as k using (borough, person_id)
),

from_sen2 as (
    select distinct
        n.borough,
        'sen2' as source,
        k.person_key,
        n.need_type,
        n.need_rank,
        h.reference_on as recorded_on
    from sen2_needs as n
    inner join sen2_keys as k using (batch_id, person_seq)
    inner join sen2_headers as h using (batch_id)
),

final as (
    select * from from_case
    union all
    select * from from_sen2
)

select * from final
