-- The borough's current batch of each dataset of one source kind, against the batch before
-- it (the previous period, or the batch it superseded): volume and freshness.
with

batches as (
    select * from audit.batches
    where borough = {borough} and source_kind = {source_kind}
        and status in ('loaded', 'superseded')
),

ordered as (
    select
        batch_id,
        dataset,
        period,
        status,
        rows_loaded,
        lag(rows_loaded) over (partition by dataset order by period, batch_id) as previous_rows,
        row_number() over (partition by dataset order by period desc, batch_id desc) as recency
    from batches
),

data_dates as (
    -- the date the data runs to: a case extract's date, a ledger period's last day,
    -- a SEN2 return's census date
    select
        batch_id,
        case {source_kind}
            when 'case' then period::date
            when 'ledger' then (make_date(left(period, 4)::int, 4, 1)
                + make_interval(months => right(period, 2)::int) - interval '1 day')::date
            when 'sen2' then (select max(reference_on) from staging.stg_sen2__headers as headers
                              where headers.batch_id = ordered.batch_id)
        end as data_as_of
    from ordered
    where recency = 1
),

final as (
    select
        ordered.batch_id,
        ordered.dataset,
        ordered.period,
        ordered.rows_loaded,
        ordered.previous_rows,
        round(ordered.rows_loaded::numeric / nullif(ordered.previous_rows, 0), 3) as volume_ratio,
        {run_date}::date - data_dates.data_as_of as days_since_data
    from ordered
    inner join data_dates using (batch_id)
    where ordered.recency = 1 and ordered.status = 'loaded'
)

select * from final
