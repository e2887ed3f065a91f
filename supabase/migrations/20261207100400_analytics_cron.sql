-- Schedules of the analytics: the nightly reconciliation of the rollups, and
-- the weekly success / monthly ROI reports e-mailed by the `reports` edge
-- function. pg_cron runs in UTC: 06:00 UTC is 07:00 in Paris in winter and
-- 08:00 in summer.
--
-- private.report_deliveries records each report sent (one per tenant, kind
-- and period), so a cron run that fires twice, or a retried invocation,
-- never e-mails the same report again.

create table private.report_deliveries (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  kind text not null,
  period_from date not null,
  period_to date not null,
  recipients text[] not null default '{}',
  provider_message_id text,
  sent_at timestamptz not null default now(),
  constraint report_deliveries_kind check (kind in ('weekly', 'monthly')),
  constraint report_deliveries_once unique (tenant_id, kind, period_from)
);
alter table private.report_deliveries enable row level security;
revoke all on private.report_deliveries from public, anon, authenticated;
grant select, insert, update, delete on private.report_deliveries to service_role;
grant usage, select on sequence private.report_deliveries_id_seq to service_role;

-- Rebuild the rollups of tenants whose ledger or deals moved in the last two
-- days (triggers keep them current; this corrects races between concurrent
-- webhook deliveries of the same send).
create or replace function private.analytics_reconcile()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  t uuid;
  n integer := 0;
begin
  for t in
    select distinct tenant_id from public.message_sends where updated_at > now() - interval '2 days'
    union
    select distinct tenant_id from public.deals where updated_at > now() - interval '2 days'
  loop
    perform private.analytics_rebuild(t);
    n := n + 1;
  end loop;
  return n;
end;
$$;

create or replace function private.run_reports(p_kind text)
returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
  select private.invoke_edge_function('reports', jsonb_build_object('kind', p_kind))
$$;

revoke all on function private.analytics_reconcile() from public, anon, authenticated;
revoke all on function private.run_reports(text) from public, anon, authenticated;
grant execute on function private.analytics_reconcile(), private.run_reports(text) to service_role;

select private.schedule_job('analytics-reconcile', '30 2 * * *', 'select private.analytics_reconcile()');
select private.schedule_job('report-weekly', '0 6 * * 1', $$select private.run_reports('weekly')$$);
select private.schedule_job('report-monthly', '0 6 1 * *', $$select private.run_reports('monthly')$$);
