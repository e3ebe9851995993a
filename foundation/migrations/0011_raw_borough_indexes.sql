-- Migration 0011 (issue 15, item 3): an index on the borough of every raw table that has one.
-- The quality gates read each borough's rows through the staging views (`where borough =
-- ...`), one borough at a time: without it every such query read the whole raw table, so at
-- 153 councils the gates' source checks grew with the square of the councils (a borough's
-- ledger lines: 0.93 s -> 0.10 s out of 6.2 million).
do $$
declare t text;
begin
    for t in
        select table_name from information_schema.columns
        where table_schema = 'raw' and column_name = 'borough'
        order by table_name
    loop
        execute format('create index if not exists %I on raw.%I (borough)', t || '_borough_idx', t);
    end loop;
end $$;
