-- The precedence rule (int_borough_coverage) applied to requests, once: each request of the
-- source that speaks for the year it was received (request measures, the open-cases
-- worklist) or the year its plan was issued (plan measures). Every reader of requests by
-- period reads this model rather than joining int_borough_coverage again.
with

requests as (
    select * from {{ ref('int_requests_timed') }}
),

coverage as (
    select * from {{ ref('int_borough_coverage') }}
    where activity_source is not null
),

attributed as (
    select
        requests.*,
        received_in.borough is not null as is_source_for_received_year,
        issued_in.borough is not null as is_source_for_issued_year
    from requests
    left join coverage as received_in
        on
            requests.borough = received_in.borough
            and requests.received_year = received_in.year
            and requests.source = received_in.activity_source
    left join coverage as issued_in
        on
            requests.borough = issued_in.borough
            and requests.issued_year = issued_in.year
            and requests.source = issued_in.activity_source
),

final as (
    select * from attributed
    where is_source_for_received_year or is_source_for_issued_year
)

select * from final
