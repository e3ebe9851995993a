with

source as (
    select * from {{ source('raw', 'boroughs') }}
),

final as (
    select
        borough,
        borough_name,
        la_number,
        ons_code
    from source
)

select * from final
