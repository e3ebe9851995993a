-- One row per borough and SEN2 collection year the warehouse can make a return for: the
-- census date (ReferenceDate) and the borough's LA number (LEA). sen2/generate.py writes
-- the Header from it.
with

collections as (
    select * from {{ ref('int_collection_years') }}
),

boroughs as (
    select * from {{ ref('stg_boroughs') }}
),

headed as (
    select
        collections.borough,
        collections.collection_year,
        collections.census_date,
        boroughs.la_number
    from collections
    left join boroughs using (borough)
),

final as (
    select * from headed
)

select * from final
