-- Analytics RPCs: one per dashboard widget, each returning the period asked
-- for and the one just before it (same length). Periods are Paris calendar
-- days, both ends included. Every function is security invoker: the caller's
-- RLS decides what is counted, and private.analytics_check refuses a tenant
-- the caller is not a member of (42501) or a malformed period (22023).
-- Rates are fractions (0.2345), null when nothing was sent: no NaN anywhere.
-- Money: deals in a currency other than EUR are not converted; they are left
-- out of every sum and counted in `other_currency` (docs/analytics.md).

create or replace function private.analytics_check(p_tenant_id uuid, p_from date, p_to date)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if p_from is null or p_to is null or p_from > p_to or p_to - p_from > 731 then
    raise exception using errcode = '22023', message = 'invalid_period',
      detail = jsonb_build_object('from', p_from, 'to', p_to)::text, hint = 'from <= to, at most two years';
  end if;
end;
$$;

-- Paris-midnight bounds of a day range: [start of p_from, start of p_to + 1).
create or replace function private.analytics_bounds(p_from date, p_to date, out lo timestamptz, out hi timestamptz)
language sql
immutable
set search_path = ''
as $$
  select (p_from::timestamp at time zone 'Europe/Paris'), ((p_to + 1)::timestamp at time zone 'Europe/Paris')
$$;

create or replace function private.analytics_rate(n numeric, d numeric)
returns numeric
language sql
immutable
set search_path = ''
as $$ select case when coalesce(d, 0) = 0 then null else round(coalesce(n, 0) / d, 4) end $$;

-- ---------------------------------------------------------------- engagement

create or replace function private.analytics_engagement_totals(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'from', p_from, 'to', p_to,
    'sent', s, 'delivered', dl, 'opened', op, 'clicked', cl, 'replied', rp, 'unsubscribed', un, 'bounced', bo, 'failed', fa,
    'delivery_rate', private.analytics_rate(dl, s), 'open_rate', private.analytics_rate(op, s),
    'click_rate', private.analytics_rate(cl, s), 'reply_rate', private.analytics_rate(rp, s),
    'unsubscribe_rate', private.analytics_rate(un, s), 'bounce_rate', private.analytics_rate(bo, s))
  from (
    select coalesce(sum(sent), 0) as s, coalesce(sum(delivered), 0) as dl, coalesce(sum(opened), 0) as op,
           coalesce(sum(clicked), 0) as cl, coalesce(sum(replied), 0) as rp, coalesce(sum(unsubscribed), 0) as un,
           coalesce(sum(bounced), 0) as bo, coalesce(sum(failed), 0) as fa
      from public.analytics_send_rollup
     where tenant_id = p_tenant_id and day between p_from and p_to
  ) x
$$;

create or replace function public.analytics_engagement(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  len integer := p_to - p_from + 1;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return jsonb_build_object(
    'current', private.analytics_engagement_totals(p_tenant_id, p_from, p_to),
    'previous', private.analytics_engagement_totals(p_tenant_id, p_from - len, p_from - 1),
    'daily', (
      select coalesce(jsonb_agg(jsonb_build_object('day', g.day, 'sent', coalesce(r.sent, 0), 'delivered', coalesce(r.delivered, 0),
                                                   'opened', coalesce(r.opened, 0), 'clicked', coalesce(r.clicked, 0),
                                                   'replied', coalesce(r.replied, 0)) order by g.day), '[]')
        from (select d::date as day from generate_series(p_from, p_to, interval '1 day') d) g
        left join (select day, sum(sent) as sent, sum(delivered) as delivered, sum(opened) as opened, sum(clicked) as clicked,
                          sum(replied) as replied
                     from public.analytics_send_rollup
                    where tenant_id = p_tenant_id and day between p_from and p_to group by day) r on r.day = g.day),
    'by_channel', (
      select coalesce(jsonb_agg(jsonb_build_object('channel', channel, 'sent', s, 'segments', sg, 'opened', op, 'clicked', cl, 'replied', rp,
                                                   'open_rate', private.analytics_rate(op, s), 'reply_rate', private.analytics_rate(rp, s))
                                order by s desc, channel), '[]')
        from (select channel, sum(sent) as s, sum(segments) as sg, sum(opened) as op, sum(clicked) as cl, sum(replied) as rp
                from public.analytics_send_rollup
               where tenant_id = p_tenant_id and day between p_from and p_to group by channel) c));
end;
$$;

-- ---------------------------------------------------------------- funnel
-- Cohort funnel: the contacts first contacted during the period, and how far
-- each has gone since (a step counts contacts that reached it or a later one,
-- after their first contact), so every step is a subset of the one before.
-- "prospects" = contacts that existed during the period and had not been
-- contacted before it (the pool the period's outreach drew from).

create or replace function private.analytics_funnel_counts(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with b as (select * from private.analytics_bounds(p_from, p_to)),
  cohort as (
    select case when m.won_at >= m.contacted_at then 6
                when m.proposal_at >= m.contacted_at then 5
                when m.appointment_at >= m.contacted_at then 4
                when m.qualified_at >= m.contacted_at then 3
                when m.engaged_at >= m.contacted_at then 2
                else 1 end as level
      from public.analytics_contact_milestones m, b
     where m.tenant_id = p_tenant_id and m.contacted_at >= b.lo and m.contacted_at < b.hi
  ), pool as (
    select count(*) as n
      from public.contacts c, b
     where c.tenant_id = p_tenant_id and c.created_at < b.hi and (c.deleted_at is null or c.deleted_at >= b.lo)
       and not exists (select 1 from public.analytics_contact_milestones m
                        where m.tenant_id = c.tenant_id and m.contact_id = c.id and m.contacted_at < b.lo)
  )
  select jsonb_build_object(
    'from', p_from, 'to', p_to,
    'prospects', greatest((select n from pool), (select count(*) from cohort)),
    'contacted', (select count(*) from cohort),
    'engaged', (select count(*) from cohort where level >= 2),
    'qualified', (select count(*) from cohort where level >= 3),
    'appointment', (select count(*) from cohort where level >= 4),
    'proposal', (select count(*) from cohort where level >= 5),
    'won', (select count(*) from cohort where level >= 6))
$$;

create or replace function public.analytics_funnel(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  len integer := p_to - p_from + 1;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return jsonb_build_object(
    'current', private.analytics_funnel_counts(p_tenant_id, p_from, p_to),
    'previous', private.analytics_funnel_counts(p_tenant_id, p_from - len, p_from - 1));
end;
$$;

-- ---------------------------------------------------------------- pipeline

create or replace function private.analytics_won_totals(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'won_count', count(*) filter (where s.kind = 'won'),
    'won_value', coalesce(sum(d.value) filter (where s.kind = 'won' and d.currency = 'EUR'), 0),
    'lost_count', count(*) filter (where s.kind = 'lost'),
    'other_currency', count(*) filter (where d.currency <> 'EUR'))
    from public.deals d
    join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
    cross join private.analytics_bounds(p_from, p_to) b
   where d.tenant_id = p_tenant_id and d.closed_at >= b.lo and d.closed_at < b.hi
$$;

create or replace function public.analytics_pipeline(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  len integer := p_to - p_from + 1;
  b record;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  select * into b from private.analytics_bounds(p_from, p_to);
  return jsonb_build_object(
    'current', private.analytics_won_totals(p_tenant_id, p_from, p_to),
    'previous', private.analytics_won_totals(p_tenant_id, p_from - len, p_from - 1),
    -- Today's pipeline, every stage of every pipeline (default pipeline first).
    'stages', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'pipeline_id', p.id, 'pipeline_name', p.name, 'stage_id', s.id, 'stage_name', s.name, 'kind', s.kind,
               'position', s.position, 'probability', s.probability,
               'deals', coalesce(x.deals, 0), 'value', coalesce(x.value, 0), 'weighted_value', coalesce(x.weighted, 0),
               'without_value', coalesce(x.without_value, 0), 'other_currency', coalesce(x.other_currency, 0))
             order by p.is_default desc, p.position, p.name, s.position), '[]')
        from public.pipelines p
        join public.pipeline_stages s on s.tenant_id = p.tenant_id and s.pipeline_id = p.id
        left join (
          select d.stage_id, count(*) as deals,
                 sum(d.value) filter (where d.currency = 'EUR') as value,
                 round(sum(d.value * coalesce(d.probability, 0) / 100.0) filter (where d.currency = 'EUR'), 2) as weighted,
                 count(*) filter (where d.value is null) as without_value,
                 count(*) filter (where d.currency <> 'EUR') as other_currency
            from public.deals d where d.tenant_id = p_tenant_id group by d.stage_id) x on x.stage_id = s.id
       where p.tenant_id = p_tenant_id),
    -- Time spent in a stage by the deals that left it during the period.
    'time_in_stage', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'stage_id', s.id, 'stage_name', s.name, 'pipeline_name', p.name, 'moves', t.moves,
               'avg_days', t.avg_days, 'median_days', t.median_days)
             order by p.is_default desc, p.position, s.position), '[]')
        from (select h.from_stage_id, count(*) as moves,
                     round((avg(extract(epoch from h.time_in_previous_stage)) / 86400)::numeric, 1) as avg_days,
                     round((percentile_cont(0.5) within group (order by extract(epoch from h.time_in_previous_stage)) / 86400)::numeric, 1) as median_days
                from public.deal_stage_history h
               where h.tenant_id = p_tenant_id and h.changed_at >= b.lo and h.changed_at < b.hi
                 and h.from_stage_id is not null and h.time_in_previous_stage is not null
               group by h.from_stage_id) t
        join public.pipeline_stages s on s.tenant_id = p_tenant_id and s.id = t.from_stage_id
        join public.pipelines p on p.tenant_id = s.tenant_id and p.id = s.pipeline_id),
    -- Why deals were lost during the period.
    'loss_reasons', (
      select coalesce(jsonb_agg(jsonb_build_object('reason', reason, 'deals', n, 'value', v) order by n desc, reason), '[]')
        from (select coalesce(nullif(btrim(d.lost_reason), ''), '—') as reason, count(*) as n,
                     coalesce(sum(d.value) filter (where d.currency = 'EUR'), 0) as v
                from public.deals d
                join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
               where d.tenant_id = p_tenant_id and s.kind = 'lost' and d.closed_at >= b.lo and d.closed_at < b.hi
               group by 1) r));
end;
$$;

-- ---------------------------------------------------------------- templates, heat map, segments

create or replace function public.analytics_templates(p_tenant_id uuid, p_from date, p_to date, p_limit integer default 10)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return (
    select coalesce(jsonb_agg(to_jsonb(t) order by t.reply_rate desc nulls last, t.open_rate desc nulls last, t.sent desc), '[]')
      from (
        select r.sequence_id, r.step_id, r.variant, r.channel,
               q.name as sequence_name, st.position as step_position,
               (select v ->> 'subject' from jsonb_array_elements(st.variants) v where v ->> 'key' = r.variant limit 1) as subject,
               sum(r.sent) as sent, sum(r.opened) as opened, sum(r.clicked) as clicked, sum(r.replied) as replied,
               private.analytics_rate(sum(r.opened), sum(r.sent)) as open_rate,
               private.analytics_rate(sum(r.clicked), sum(r.sent)) as click_rate,
               private.analytics_rate(sum(r.replied), sum(r.sent)) as reply_rate
          from public.analytics_send_rollup r
          left join public.sequences q on q.tenant_id = r.tenant_id and q.id = r.sequence_id
          left join public.sequence_steps st on st.tenant_id = r.tenant_id and st.id = r.step_id
         where r.tenant_id = p_tenant_id and r.day between p_from and p_to and r.step_id is not null
         group by r.sequence_id, r.step_id, r.variant, r.channel, q.name, st.position, st.variants
        having sum(r.sent) > 0
         order by private.analytics_rate(sum(r.replied), sum(r.sent)) desc nulls last, sum(r.sent) desc
         limit greatest(1, least(coalesce(p_limit, 10), 100))
      ) t);
end;
$$;

-- Day of week (1 = Monday) × hour of the send, Paris time.
create or replace function public.analytics_heatmap(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return (
    select coalesce(jsonb_agg(jsonb_build_object('dow', dow, 'hour', hour, 'sent', s, 'opened', op, 'replied', rp,
                                                 'open_rate', private.analytics_rate(op, s), 'reply_rate', private.analytics_rate(rp, s))
                              order by dow, hour), '[]')
      from (select extract(isodow from day)::int as dow, hour, sum(sent) as s, sum(opened) as op, sum(replied) as rp
              from public.analytics_send_rollup
             where tenant_id = p_tenant_id and day between p_from and p_to
             group by 1, 2 having sum(sent) > 0) h);
end;
$$;

-- Prospect bases by what the period's cohort (contacts first contacted in
-- the period) did: a contact in several bases counts in each.
create or replace function public.analytics_segments(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  b record;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  select * into b from private.analytics_bounds(p_from, p_to);
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
             'base_id', x.base_id, 'name', x.name, 'contacted', x.contacted, 'engaged', x.engaged, 'replied', x.replied,
             'qualified', x.qualified, 'won', x.won,
             'engagement_rate', private.analytics_rate(x.engaged, x.contacted),
             'reply_rate', private.analytics_rate(x.replied, x.contacted),
             'win_rate', private.analytics_rate(x.won, x.contacted))
           order by private.analytics_rate(x.won, x.contacted) desc nulls last,
                    private.analytics_rate(x.replied, x.contacted) desc nulls last, x.contacted desc, x.name), '[]')
      from (
        select pb.id as base_id, pb.name,
               count(*) as contacted,
               count(*) filter (where m.engaged_at >= m.contacted_at) as engaged,
               count(*) filter (where m.replied_at >= m.contacted_at) as replied,
               count(*) filter (where m.qualified_at >= m.contacted_at) as qualified,
               count(*) filter (where m.won_at >= m.contacted_at) as won
          from public.analytics_contact_milestones m
          left join public.prospect_base_members bm on bm.tenant_id = m.tenant_id and bm.contact_id = m.contact_id
          left join public.prospect_bases pb on pb.tenant_id = bm.tenant_id and pb.id = bm.prospect_base_id
         where m.tenant_id = p_tenant_id and m.contacted_at >= b.lo and m.contacted_at < b.hi
         group by pb.id, pb.name
      ) x);
end;
$$;

-- ---------------------------------------------------------------- today

-- Hot leads: contacts who replied, clicked or opened in the last 7 days,
-- scored 5 per reply, 3 per click, 1 per open (first event of each kind per send).
create or replace function public.analytics_hot_leads(p_tenant_id uuid, p_limit integer default 8)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
             'contact_id', h.contact_id, 'score', h.score, 'replies', h.replies, 'clicks', h.clicks, 'opens', h.opens,
             'last_at', h.last_at, 'deleted', c.id is null or c.deleted_at is not null,
             'first_name', case when c.deleted_at is null then c.first_name end,
             'last_name', case when c.deleted_at is null then c.last_name end,
             'company_name', case when c.deleted_at is null then c.company_name end,
             'city', case when c.deleted_at is null then c.city end)
           order by h.score desc, h.last_at desc), '[]')
      from (
        select e.contact_id,
               count(*) filter (where e.type = 'replied') as replies,
               count(*) filter (where e.type = 'clicked') as clicks,
               count(*) filter (where e.type = 'opened') as opens,
               5 * count(*) filter (where e.type = 'replied') + 3 * count(*) filter (where e.type = 'clicked')
                 + count(*) filter (where e.type = 'opened') as score,
               max(e.occurred_at) as last_at
          from public.message_events e
         where e.tenant_id = p_tenant_id and e.occurred_at >= now() - interval '7 days'
           and e.type in ('replied', 'clicked', 'opened') and e.contact_id is not null
         group by e.contact_id
         order by score desc, last_at desc
         limit greatest(1, least(coalesce(p_limit, 8), 50))
      ) h
      left join public.contacts c on c.tenant_id = p_tenant_id and c.id = h.contact_id);
end;
$$;

-- The caller's open tasks due today or overdue (Paris date), by day period.
create or replace function public.analytics_today(p_tenant_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  today date := (now() at time zone 'Europe/Paris')::date;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return jsonb_build_object(
    'date', today,
    'overdue', (select count(*) from public.activities a
                 where a.tenant_id = p_tenant_id and a.assigned_to = (select auth.uid()) and a.done_at is null and a.due_date < today),
    'tasks', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'id', a.id, 'subject', coalesce(a.subject, left(a.body, 120)), 'kind', a.kind, 'due_date', a.due_date,
               'day_period', a.day_period, 'overdue', a.due_date < today, 'contact_id', a.contact_id, 'deal_id', a.deal_id,
               'contact_name', case when c.deleted_at is null then coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name) end)
             order by a.due_date, a.day_period nulls last, a.created_at), '[]')
        from (select * from public.activities a
               where a.tenant_id = p_tenant_id and a.assigned_to = (select auth.uid()) and a.done_at is null and a.due_date <= today
               order by a.due_date desc, a.created_at limit 12) a
        left join public.contacts c on c.tenant_id = a.tenant_id and c.id = a.contact_id));
end;
$$;

-- ---------------------------------------------------------------- bundles

-- The home dashboard in one round trip.
create or replace function public.analytics_dashboard(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return jsonb_build_object(
    'from', p_from, 'to', p_to,
    'funnel', public.analytics_funnel(p_tenant_id, p_from, p_to),
    'engagement', public.analytics_engagement(p_tenant_id, p_from, p_to),
    'pipeline', public.analytics_pipeline(p_tenant_id, p_from, p_to),
    'hot_leads', public.analytics_hot_leads(p_tenant_id, 8),
    'today', public.analytics_today(p_tenant_id));
end;
$$;

-- Everything /analytique and the e-mailed reports show.
create or replace function public.analytics_report(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  return jsonb_build_object(
    'from', p_from, 'to', p_to,
    'funnel', public.analytics_funnel(p_tenant_id, p_from, p_to),
    'engagement', public.analytics_engagement(p_tenant_id, p_from, p_to),
    'pipeline', public.analytics_pipeline(p_tenant_id, p_from, p_to),
    'templates', public.analytics_templates(p_tenant_id, p_from, p_to, 10),
    'heatmap', public.analytics_heatmap(p_tenant_id, p_from, p_to),
    'segments', public.analytics_segments(p_tenant_id, p_from, p_to));
end;
$$;

-- ---------------------------------------------------------------- grants

revoke all on function private.analytics_check(uuid, date, date) from public, anon;
revoke all on function private.analytics_bounds(date, date) from public, anon;
revoke all on function private.analytics_rate(numeric, numeric) from public, anon;
revoke all on function private.analytics_engagement_totals(uuid, date, date) from public, anon;
revoke all on function private.analytics_funnel_counts(uuid, date, date) from public, anon;
revoke all on function private.analytics_won_totals(uuid, date, date) from public, anon;
grant execute on function private.analytics_check(uuid, date, date), private.analytics_bounds(date, date),
  private.analytics_rate(numeric, numeric), private.analytics_engagement_totals(uuid, date, date),
  private.analytics_funnel_counts(uuid, date, date), private.analytics_won_totals(uuid, date, date)
  to authenticated, service_role;

revoke all on function public.analytics_engagement(uuid, date, date) from public, anon;
revoke all on function public.analytics_funnel(uuid, date, date) from public, anon;
revoke all on function public.analytics_pipeline(uuid, date, date) from public, anon;
revoke all on function public.analytics_templates(uuid, date, date, integer) from public, anon;
revoke all on function public.analytics_heatmap(uuid, date, date) from public, anon;
revoke all on function public.analytics_segments(uuid, date, date) from public, anon;
revoke all on function public.analytics_hot_leads(uuid, integer) from public, anon;
revoke all on function public.analytics_today(uuid) from public, anon;
revoke all on function public.analytics_dashboard(uuid, date, date) from public, anon;
revoke all on function public.analytics_report(uuid, date, date) from public, anon;
grant execute on function public.analytics_engagement(uuid, date, date), public.analytics_funnel(uuid, date, date),
  public.analytics_pipeline(uuid, date, date), public.analytics_templates(uuid, date, date, integer),
  public.analytics_heatmap(uuid, date, date), public.analytics_segments(uuid, date, date),
  public.analytics_hot_leads(uuid, integer), public.analytics_today(uuid),
  public.analytics_dashboard(uuid, date, date), public.analytics_report(uuid, date, date)
  to authenticated, service_role;
