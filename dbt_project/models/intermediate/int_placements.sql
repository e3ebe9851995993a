-- Placements named in plans, with DfE's placement group (mainstream, special,
-- independent_nm, post16, other) from the establishment list or the SENSetting code.
{{ config(**borough_incremental()) }}
with

case_placements as (
    select * from {{ ref('stg_case__placements') }}
    where {{ in_changed_boroughs() }}
),

sen2_placements as (
    select * from {{ ref('stg_sen2__placements') }}
    where {{ in_changed_boroughs() }}
),

sen2_plans as (
    select * from {{ ref('stg_sen2__named_plans') }}
    where {{ in_changed_boroughs() }}
),

sen2_keys as (
    select * from {{ ref('pii_sen2_person_keys') }}
    where {{ in_changed_boroughs() }}
),

establishments as (
    select * from {{ ref('establishments') }}
),

settings as (
    select * from {{ ref('sen_settings') }}
),

from_case as (
    select distinct on (borough, placement_id)
        borough,
        'case' as source,
        {{ case_key('borough', 'case', 'plan_id') }} as plan_key,
        urn,
        ukprn,
        sen_setting,
        placement_rank,
        entry_on,
        leaving_on
    from case_placements
    order by borough asc, placement_id asc, extract_on desc, source_row asc
),

sen2_keyed as (
    select
        pl.*,
        k.person_key,
        np.start_on as plan_start_on
    from sen2_placements as pl
    inner join sen2_keys as k using (batch_id, person_seq)
    inner join sen2_plans as np using (batch_id, person_seq, request_seq)
),

from_sen2 as (
    select distinct on (borough, person_key, plan_start_on, coalesce(urn, ukprn, sen_setting), entry_on)
        borough,
        'sen2' as source,
        {{ sen2_plan_key('person_key', 'plan_start_on') }} as plan_key,
        urn,
        ukprn,
        sen_setting,
        placement_rank,
        entry_on,
        leaving_on
    from sen2_keyed
    order by
        borough asc, person_key asc, plan_start_on asc, coalesce(urn, ukprn, sen_setting), entry_on asc,
        (leaving_on is null), return_year desc
),

placements as (
    select * from from_case
    union all
    select * from from_sen2
),

grouped as (
    select
        placements.*,
        coalesce(
            by_urn.placement_group, by_ukprn.placement_group, settings.placement_group,
            case when placements.ukprn is not null then 'post16' end,
            'other'
        ) as placement_group
    from placements
    left join establishments as by_urn on placements.urn = by_urn.urn
    left join establishments as by_ukprn on placements.ukprn = by_ukprn.ukprn
    left join settings on placements.sen_setting = settings.sen_setting
),

final as (
    select * from grouped
)

select * from final
