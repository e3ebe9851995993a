-- Migration 0009 (issue 17, item 3): forecast costs that add up. The forecast prices each
-- simulated path (plans x the latest unit cost of each placement group) and sums the cost
-- inside the path before taking quantiles, so the rows over all placement groups and the
-- tri-borough rows carry a cost: a quantile of sums, not a sum of quantiles. Null in runs
-- before this migration and where no unit cost is known.
alter table forecast.demand add column if not exists cost_p10_gbp numeric;
alter table forecast.demand add column if not exists cost_p50_gbp numeric;
alter table forecast.demand add column if not exists cost_p90_gbp numeric;
