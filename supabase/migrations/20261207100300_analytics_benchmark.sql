-- Benchmark against similar agencies: anonymised aggregates across tenants.
--
-- Security definer because it reads other tenants' rollups; it returns only
-- medians and averages, and only when at least 10 agencies of the caller's
-- size band sent messages in the period (otherwise `available: false`, no
-- figure at all). Callable by members of the tenant named (checked), never by
-- anon.

create or replace function private.team_size_band(p_team_size integer)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_team_size is null or p_team_size <= 2 then '1-2'
              when p_team_size <= 5 then '3-5'
              when p_team_size <= 15 then '6-15'
              else '16+' end
$$;

create or replace function public.analytics_benchmark(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  band text;
  min_contributors constant integer := 10;
  agg record;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  select private.team_size_band(t.team_size) into band from public.tenants t where t.id = p_tenant_id;
  with peers as (
    select x.tenant_id,
           x.opened::numeric / x.sent as open_rate, x.clicked::numeric / x.sent as click_rate,
           x.replied::numeric / x.sent as reply_rate, x.bounced::numeric / x.sent as bounce_rate
      from (select ro.tenant_id, sum(ro.sent) as sent, sum(ro.opened) as opened, sum(ro.clicked) as clicked,
                   sum(ro.replied) as replied, sum(ro.bounced) as bounced
              from public.analytics_send_rollup ro
             where ro.day between p_from and p_to
             group by ro.tenant_id having sum(ro.sent) > 0) x
      join public.tenants t on t.id = x.tenant_id
     where private.team_size_band(t.team_size) = band
  )
  select count(*) as n,
         round(avg(open_rate), 4) as open_avg, round(percentile_cont(0.5) within group (order by open_rate)::numeric, 4) as open_median,
         round(avg(click_rate), 4) as click_avg, round(percentile_cont(0.5) within group (order by click_rate)::numeric, 4) as click_median,
         round(avg(reply_rate), 4) as reply_avg, round(percentile_cont(0.5) within group (order by reply_rate)::numeric, 4) as reply_median,
         round(avg(bounce_rate), 4) as bounce_avg
    into agg from peers;
  if agg.n < min_contributors then
    return jsonb_build_object('available', false, 'band', band, 'min_contributors', min_contributors);
  end if;
  return jsonb_build_object(
    'available', true, 'band', band, 'min_contributors', min_contributors, 'contributors', agg.n,
    'open_rate', jsonb_build_object('avg', agg.open_avg, 'median', agg.open_median),
    'click_rate', jsonb_build_object('avg', agg.click_avg, 'median', agg.click_median),
    'reply_rate', jsonb_build_object('avg', agg.reply_avg, 'median', agg.reply_median),
    'bounce_rate', jsonb_build_object('avg', agg.bounce_avg));
end;
$$;

revoke all on function private.team_size_band(integer) from public, anon;
grant execute on function private.team_size_band(integer) to authenticated, service_role;
revoke all on function public.analytics_benchmark(uuid, date, date) from public, anon;
grant execute on function public.analytics_benchmark(uuid, date, date) to authenticated, service_role;
