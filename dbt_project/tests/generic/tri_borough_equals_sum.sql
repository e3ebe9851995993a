{#- The tri-borough row (borough = 'ALL') of each group equals the sum of the boroughs. -#}
{% test tri_borough_equals_sum(model, group_by, measures) %}
with

boroughs as (
    select {{ group_by | join(', ') }},
        {% for m in measures %}sum({{ adapter.quote(m) }}) as {{ adapter.quote(m) }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ model }}
    where borough <> 'ALL'
    group by {{ group_by | join(', ') }}
),

tri_borough as (
    select {{ group_by | join(', ') }},
        {% for m in measures %}{{ adapter.quote(m) }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ model }}
    where borough = 'ALL'
)

select *
from boroughs
full outer join tri_borough using ({{ group_by | join(', ') }})
where {% for m in measures %}coalesce(boroughs.{{ adapter.quote(m) }}, 0) <> coalesce(tri_borough.{{ adapter.quote(m) }}, 0){{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
