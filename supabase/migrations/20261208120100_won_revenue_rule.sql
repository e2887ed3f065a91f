-- One rule for the revenue of a won deal, used by every figure (issue 9):
-- the revenue is coalesce(won_amount, value) and it is dated won_on, the day
-- the win is dated from (move_deal's p_won_on, default the day it was won;
-- 20261207090000_deal_board_fields.sql). The first analytics read deals.value
-- and closed_at, so a deal won at a negotiated price, or signed on an earlier
-- day than it was moved, counted at the asking price on the day of the move.
--
-- private.won_deals is that rule, and the only place it is written:
--   revenue  coalesce(won_amount, value) (null: a won deal without value);
--   won_on   coalesce(won_on, closed_at's Paris day);
--   won_at   the moment of the win for "before the win" windows: the end of
--            the won_on day (Paris), or the move itself when that came first.
-- Read by: analytics_won_totals (home KPI "gagné", /analytique, reports),
-- analytics_pipeline's value by stage, analytics_roi (period by won_on,
-- attribution window ending at won_at, fees on the revenue), the contacts'
-- `won_at` milestone (funnel, segments), and the pipeline_stage_totals view.
-- security_invoker: RLS of deals and stages applies to whoever reads it.

comment on column public.deals.won_amount is
  'Revenue recorded when the deal is won (default: its value); every report counts a won deal at coalesce(won_amount, value) dated won_on (view private.won_deals).';

create index deals_tenant_won_on_idx on public.deals (tenant_id, won_on) where won_on is not null;

create view private.won_deals with (security_invoker = on) as
select d.tenant_id, d.id as deal_id, d.pipeline_id, d.stage_id, d.contact_id, d.owner_id, d.title, d.currency,
       d.value, coalesce(d.won_amount, d.value) as revenue,
       coalesce(d.won_on, (d.closed_at at time zone 'Europe/Paris')::date) as won_on,
       least(d.closed_at, (coalesce(d.won_on, (d.closed_at at time zone 'Europe/Paris')::date) + 1)::timestamp at time zone 'Europe/Paris') as won_at,
       d.closed_at
  from public.deals d
  join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
 where s.kind = 'won';
comment on view private.won_deals is
  'Won deals with their revenue (coalesce(won_amount, value)) and date (won_on): the one definition every analytics figure uses.';
revoke all on private.won_deals from public, anon;
grant select on private.won_deals to authenticated, service_role;

-- ---------------------------------------------------------------- milestones

-- The non-message milestones of one contact, recomputed from their sources.
create or replace function private.analytics_refresh_contact(p_tenant_id uuid, p_contact_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  q timestamptz; a timestamptz; p timestamptz; w timestamptz;
begin
  -- Nothing to do for a contact (or a tenant) being deleted: its row cascades away.
  if p_contact_id is null
     or not exists (select 1 from public.tenants t where t.id = p_tenant_id)
     or not exists (select 1 from public.contacts c where c.tenant_id = p_tenant_id and c.id = p_contact_id) then
    return;
  end if;
  select least(
           (select min(e.occurred_at) from public.events e
             where e.tenant_id = p_tenant_id and e.subject_type = 'contact' and e.subject_id = p_contact_id and e.type = 'lead.qualified'),
           (select min(d.created_at) from public.deals d where d.tenant_id = p_tenant_id and d.contact_id = p_contact_id)),
         least(
           (select min(e.occurred_at) from public.events e
             where e.tenant_id = p_tenant_id and e.subject_type = 'contact' and e.subject_id = p_contact_id and e.type = 'appointment.booked'),
           (select min(x.occurred_at) from public.activities x
             where x.tenant_id = p_tenant_id and x.contact_id = p_contact_id and x.kind = 'meeting')),
         (select min(h.changed_at) from public.deals d
            join public.deal_stage_history h on h.tenant_id = d.tenant_id and h.deal_id = d.id
            join public.pipeline_stages s on s.tenant_id = h.tenant_id and s.id = h.to_stage_id
           where d.tenant_id = p_tenant_id and d.contact_id = p_contact_id
             and ((s.kind = 'open' and s.probability >= 40) or s.kind = 'won')),
         (select min(w.won_at) from private.won_deals w
           where w.tenant_id = p_tenant_id and w.contact_id = p_contact_id)
    into q, a, p, w;
  insert into public.analytics_contact_milestones as m (tenant_id, contact_id, qualified_at, appointment_at, proposal_at, won_at)
  values (p_tenant_id, p_contact_id, q, a, p, w)
  on conflict (tenant_id, contact_id) do update
    set qualified_at = excluded.qualified_at, appointment_at = excluded.appointment_at,
        proposal_at = excluded.proposal_at, won_at = excluded.won_at, updated_at = now()
    where (m.qualified_at, m.appointment_at, m.proposal_at, m.won_at)
          is distinct from (excluded.qualified_at, excluded.appointment_at, excluded.proposal_at, excluded.won_at);
end;
$$;


-- The milestones rebuilt from their sources; won = the earliest win of the contact's deals (private.won_deals).
create or replace function private.analytics_rebuild_milestones(p_tenant_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  n bigint;
begin
  delete from public.analytics_contact_milestones where tenant_id = p_tenant_id;
  insert into public.analytics_contact_milestones (tenant_id, contact_id, contacted_at, engaged_at, replied_at,
                                                   qualified_at, appointment_at, proposal_at, won_at)
  select p_tenant_id, c.id, ms.contacted_at, me.engaged_at, me.replied_at,
         least(q.at, dq.at), least(ap.at, mt.at), pr.at, w.at
    from public.contacts c
    left join (select contact_id, min(coalesce(sent_at, queued_at)) as contacted_at from public.message_sends
                where tenant_id = p_tenant_id and private.analytics_is_sent(status) and contact_id is not null group by 1) ms on ms.contact_id = c.id
    left join (select coalesce(e.contact_id, s.contact_id) as contact_id,
                      min(e.occurred_at) filter (where e.type in ('opened', 'clicked', 'replied')) as engaged_at,
                      min(e.occurred_at) filter (where e.type = 'replied') as replied_at
                 from public.message_events e join public.message_sends s on s.tenant_id = e.tenant_id and s.id = e.send_id
                where e.tenant_id = p_tenant_id and e.type in ('opened', 'clicked', 'replied') and private.analytics_is_person(e.payload)
                group by 1) me on me.contact_id = c.id
    left join (select subject_id, min(occurred_at) as at from public.events
                where tenant_id = p_tenant_id and subject_type = 'contact' and type = 'lead.qualified' group by 1) q on q.subject_id = c.id
    left join (select contact_id, min(created_at) as at from public.deals
                where tenant_id = p_tenant_id and contact_id is not null group by 1) dq on dq.contact_id = c.id
    left join (select subject_id, min(occurred_at) as at from public.events
                where tenant_id = p_tenant_id and subject_type = 'contact' and type = 'appointment.booked' group by 1) ap on ap.subject_id = c.id
    left join (select contact_id, min(occurred_at) as at from public.activities
                where tenant_id = p_tenant_id and kind = 'meeting' and contact_id is not null group by 1) mt on mt.contact_id = c.id
    left join (select d.contact_id, min(h.changed_at) as at from public.deals d
                 join public.deal_stage_history h on h.tenant_id = d.tenant_id and h.deal_id = d.id
                 join public.pipeline_stages s on s.tenant_id = h.tenant_id and s.id = h.to_stage_id
                where d.tenant_id = p_tenant_id and d.contact_id is not null
                  and ((s.kind = 'open' and s.probability >= 40) or s.kind = 'won') group by 1) pr on pr.contact_id = c.id
    left join (select wd.contact_id, min(wd.won_at) as at from private.won_deals wd
                where wd.tenant_id = p_tenant_id and wd.contact_id is not null group by 1) w on w.contact_id = c.id
   where c.tenant_id = p_tenant_id
     and coalesce(ms.contacted_at, me.engaged_at, q.at, dq.at, ap.at, mt.at, pr.at, w.at) is not null;
  get diagnostics n = row_count;
  return n;
end;
$$;


-- The won milestone moves with the win's date too. Triggers on the same event
-- fire in name order: the old name ran before deals_stage_history, so a move
-- to a proposal (or won) stage recomputed the milestone before its history row
-- existed and left proposal_at empty until the nightly rebuild. The new name
-- sorts after every deals_* trigger.
drop trigger analytics_deals_changed on public.deals;
create trigger zz_analytics_deals_changed after insert or delete or update of stage_id, contact_id, closed_at, won_on on public.deals
  for each row execute function private.analytics_contact_changed();

-- ---------------------------------------------------------------- won totals, pipeline

-- Won deals by the day of the win at their revenue; lost deals by the day they were closed.
create or replace function private.analytics_won_totals(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with won as (
    select count(*) as n, coalesce(sum(w.revenue) filter (where w.currency = 'EUR'), 0) as v,
           count(*) filter (where w.currency <> 'EUR') as other
      from private.won_deals w
     where w.tenant_id = p_tenant_id and w.won_on between p_from and p_to
  ), lost as (
    select count(*) as n, count(*) filter (where d.currency <> 'EUR') as other
      from public.deals d
      join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
     cross join private.analytics_bounds(p_from, p_to) b
     where d.tenant_id = p_tenant_id and s.kind = 'lost' and d.closed_at >= b.lo and d.closed_at < b.hi
  )
  select jsonb_build_object('won_count', won.n, 'won_value', won.v, 'lost_count', lost.n, 'other_currency', won.other + lost.other)
    from won, lost
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
                 sum(a.amount) filter (where d.currency = 'EUR') as value,
                 round(sum(a.amount * coalesce(d.probability, 0) / 100.0) filter (where d.currency = 'EUR'), 2) as weighted,
                 count(*) filter (where a.amount is null) as without_value,
                 count(*) filter (where d.currency <> 'EUR') as other_currency
            from public.deals d
            -- a won deal counts at its won revenue (private.won_deals), any other at its value
            left join private.won_deals w on w.tenant_id = d.tenant_id and w.deal_id = d.id
            cross join lateral (select case when w.deal_id is not null then w.revenue else d.value end as amount) a
           where d.tenant_id = p_tenant_id group by d.stage_id) x on x.stage_id = s.id
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


-- ---------------------------------------------------------------- ROI

create or replace function public.analytics_roi(
  p_tenant_id uuid, p_from date, p_to date,
  p_model text default 'any_touch', p_window_days integer default 90, p_fee_rate numeric default 5
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  lo timestamptz; hi timestamptz;
  days integer := p_to - p_from + 1;
  plan public.tenant_plan;
  c_sub numeric; c_ai numeric; c_email numeric; c_sms numeric; c_wa numeric; c_total numeric;
  n_email bigint; n_sms bigint; n_wa bigint;
  deals jsonb; won_count bigint; won_value numeric; attr_count bigint; attr_value numeric; other_cur bigint; no_value bigint;
  fees numeric;
begin
  perform private.analytics_check(p_tenant_id, p_from, p_to);
  -- Costs include AI spend, which only admins may read.
  perform private.require_role(p_tenant_id, 'admin');
  if p_model is null or p_model not in ('any_touch', 'first_touch', 'last_touch') then
    raise exception using errcode = '22023', message = 'invalid_attribution_model', detail = jsonb_build_object('field', 'model')::text;
  end if;
  if p_window_days is null or p_window_days not between 1 and 365 then
    raise exception using errcode = '22023', message = 'invalid_attribution_window', detail = jsonb_build_object('field', 'window_days')::text;
  end if;
  if p_fee_rate is null or p_fee_rate <= 0 or p_fee_rate > 100 then
    raise exception using errcode = '22023', message = 'invalid_fee_rate', detail = jsonb_build_object('field', 'fee_rate')::text;
  end if;
  select b.lo, b.hi into lo, hi from private.analytics_bounds(p_from, p_to) b;
  select t.plan into plan from public.tenants t where t.id = p_tenant_id;

  c_sub := round(private.plan_monthly_price_eur(plan) * 12 / 365 * days, 2);
  select coalesce(sum(u.cost_eur), 0) into c_ai from public.ai_usage u
   where u.tenant_id = p_tenant_id and u.created_at >= lo and u.created_at < hi;
  select coalesce(sum(r.segments) filter (where r.channel = 'email'), 0),
         coalesce(sum(r.segments) filter (where r.channel = 'sms'), 0),
         coalesce(sum(r.segments) filter (where r.channel = 'whatsapp'), 0)
    into n_email, n_sms, n_wa
    from public.analytics_send_rollup r where r.tenant_id = p_tenant_id and r.day between p_from and p_to;
  c_email := round(n_email * private.usage_unit_cost_eur('email'), 2);
  c_sms := round(n_sms * private.usage_unit_cost_eur('sms'), 2);
  c_wa := round(n_wa * private.usage_unit_cost_eur('whatsapp'), 2);
  c_ai := round(c_ai, 2);
  c_total := c_sub + c_ai + c_email + c_sms + c_wa;

  with won as (
    select w.deal_id as id, w.title, w.value, w.revenue, w.currency, w.closed_at, w.won_on, w.won_at, w.contact_id,
           case when c.deleted_at is null then coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name) end as contact_name
      from private.won_deals w
      left join public.contacts c on c.tenant_id = w.tenant_id and c.id = w.contact_id
     where w.tenant_id = p_tenant_id and w.won_on between p_from and p_to
  ), touched as (
    select w.*, pt.first_at as first_platform, pt.last_at as last_platform, pt.n as platform_touches,
           mt.first_at as first_manual, mt.last_at as last_manual
      from won w
      left join lateral (
        select min(coalesce(m.sent_at, m.queued_at)) as first_at, max(coalesce(m.sent_at, m.queued_at)) as last_at, count(*) as n
          from public.message_sends m
         where m.tenant_id = p_tenant_id and m.contact_id = w.contact_id and m.sequence_id is not null
           and private.analytics_is_sent(m.status)
           and m.queued_at <= w.won_at
           and coalesce(m.sent_at, m.queued_at) between w.won_at - make_interval(days => p_window_days) and w.won_at
      ) pt on w.contact_id is not null
      left join lateral (
        select min(a.occurred_at) as first_at, max(a.occurred_at) as last_at
          from public.activities a
         where a.tenant_id = p_tenant_id and a.contact_id = w.contact_id and a.kind in ('call', 'email', 'meeting')
           and a.occurred_at between w.won_at - make_interval(days => p_window_days) and w.won_at
      ) mt on w.contact_id is not null
  ), judged as (
    select t.*,
           coalesce(case p_model
             when 'any_touch' then t.first_platform is not null
             when 'first_touch' then t.first_platform is not null and (t.first_manual is null or t.first_platform <= t.first_manual)
             when 'last_touch' then t.last_platform is not null and (t.last_manual is null or t.last_platform >= t.last_manual)
           end, false) as attributed
      from touched t
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'deal_id', j.id, 'title', j.title, 'contact_name', j.contact_name, 'contact_deleted', j.contact_id is not null and j.contact_name is null,
           'closed_at', j.closed_at, 'won_on', j.won_on, 'value', j.value, 'revenue', j.revenue, 'currency', j.currency, 'attributed', j.attributed,
           'platform_touches', coalesce(j.platform_touches, 0), 'first_platform_at', j.first_platform, 'last_platform_at', j.last_platform,
           'fees', case when j.currency = 'EUR' then round(coalesce(j.revenue, 0) * p_fee_rate / 100, 2) end)
         order by j.attributed desc, j.won_on desc, j.closed_at desc), '[]'),
         count(*), coalesce(sum(j.revenue) filter (where j.currency = 'EUR'), 0),
         count(*) filter (where j.attributed and j.currency = 'EUR'),
         coalesce(sum(j.revenue) filter (where j.attributed and j.currency = 'EUR'), 0),
         count(*) filter (where j.currency <> 'EUR'),
         count(*) filter (where j.revenue is null)
    into deals, won_count, won_value, attr_count, attr_value, other_cur, no_value
    from judged j;

  fees := round(attr_value * p_fee_rate / 100, 2);
  return jsonb_build_object(
    'from', p_from, 'to', p_to, 'days', days, 'plan', plan,
    'rule', jsonb_build_object('model', p_model, 'window_days', p_window_days, 'fee_rate', p_fee_rate),
    'costs', jsonb_build_object('subscription', c_sub, 'ai', c_ai, 'email', c_email, 'sms', c_sms, 'whatsapp', c_wa, 'total', c_total,
                                'plan_monthly_price', private.plan_monthly_price_eur(plan),
                                'emails', n_email, 'sms_segments', n_sms, 'whatsapp_messages', n_wa,
                                'unit_email', private.usage_unit_cost_eur('email'), 'unit_sms', private.usage_unit_cost_eur('sms'),
                                'unit_whatsapp', private.usage_unit_cost_eur('whatsapp')),
    'revenue', jsonb_build_object('won_deals', won_count, 'won_value', won_value, 'attributed_deals', attr_count,
                                  'attributed_value', attr_value, 'attributed_fees', fees,
                                  'other_currency', other_cur, 'without_value', no_value),
    'roi', case when c_total > 0 then round(fees / c_total, 2) end,
    'net', fees - c_total,
    'payback_days', case when fees > 0 then round(c_total / (fees / days), 1) end,
    'deals', deals);
end;
$$;


-- ---------------------------------------------------------------- reporting view

-- The stage totals (home "valeur du pipeline" reads its open stages) count a
-- won deal at its revenue, like the analytics.
create or replace view public.pipeline_stage_totals
with (security_invoker = on)
as
select s.tenant_id,
       s.pipeline_id,
       s.id as stage_id,
       s.name as stage_name,
       s.position,
       s.kind,
       count(d.id) as deals_count,
       coalesce(sum(a.amount), 0)::numeric(16, 2) as total_value,
       coalesce(sum(a.amount * coalesce(d.probability, s.probability) / 100.0), 0)::numeric(16, 2) as weighted_value
  from public.pipeline_stages s
  left join public.deals d on d.tenant_id = s.tenant_id and d.pipeline_id = s.pipeline_id and d.stage_id = s.id
  left join private.won_deals w on w.tenant_id = d.tenant_id and w.deal_id = d.id
  left join lateral (select case when w.deal_id is not null then w.revenue else d.value end as amount) a on true
 group by s.tenant_id, s.pipeline_id, s.id, s.name, s.position, s.kind;

-- Existing milestones under the rule.
select private.analytics_rebuild(t.id) from public.tenants t;
