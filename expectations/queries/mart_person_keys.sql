-- Every pseudonymous person key the published figures are built from, with its borough.
with

keyed as (
    select 'ehc_open_cases' as model, person_key, borough from {marts}.ehc_open_cases
    union all
    select 'int_plans', person_key, borough from intermediate.int_plans
    union all
    select 'int_requests', person_key, borough from intermediate.int_requests
    union all
    select 'int_plans_at_census', person_key, borough from intermediate.int_plans_at_census
),

final as (
    select model, person_key, borough
    from keyed
    where person_key is not null
)

select * from final
