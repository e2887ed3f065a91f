-- ROI: what the platform cost the agency over a period (subscription share,
-- AI, SMS, e-mail) against the revenue of the deals it won that the platform
-- touched, under a stated and adjustable attribution rule.
--
-- Attribution (p_model, p_window_days): a won deal with a contact is
-- attributed to the platform when, in the p_window_days before it was won,
--   any_touch   — the contact received at least one sequence message;
--   first_touch — the earliest touch of the contact in the window (sequence
--                 message, or a call / e-mail / meeting logged by an agent)
--                 was a sequence message;
--   last_touch  — the latest touch before the win was a sequence message.
-- Revenue = deal value × p_fee_rate % (deal values are property prices; the
-- agency earns its fees). Deals in another currency than EUR are not
-- converted: they are listed and left out of the sums. A deal without value
-- counts with 0 €.
-- Payback = the period's cost divided by the attributed revenue per day.

-- List prices (€ HT) of the plans, per month, and the unit prices of usage.
-- Kept in step with the pricing page (docs/analytics.md).
create or replace function private.plan_monthly_price_eur(p_plan public.tenant_plan)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select case p_plan when 'trial' then 0 when 'starter' then 49 when 'pro' then 149 when 'enterprise' then 399 end::numeric
$$;

create or replace function private.usage_unit_cost_eur(p_channel public.send_channel)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select case p_channel when 'email' then 0.0008 when 'sms' then 0.065 when 'whatsapp' then 0.05 else 0 end::numeric
$$;

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
    select d.id, d.title, d.value, d.currency, d.closed_at, d.contact_id,
           case when c.deleted_at is null then coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name) end as contact_name
      from public.deals d
      join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
      left join public.contacts c on c.tenant_id = d.tenant_id and c.id = d.contact_id
     where d.tenant_id = p_tenant_id and s.kind = 'won' and d.closed_at >= lo and d.closed_at < hi
  ), touched as (
    select w.*, pt.first_at as first_platform, pt.last_at as last_platform, pt.n as platform_touches,
           mt.first_at as first_manual, mt.last_at as last_manual
      from won w
      left join lateral (
        select min(coalesce(m.sent_at, m.queued_at)) as first_at, max(coalesce(m.sent_at, m.queued_at)) as last_at, count(*) as n
          from public.message_sends m
         where m.tenant_id = p_tenant_id and m.contact_id = w.contact_id and m.sequence_id is not null
           and private.analytics_is_sent(m.status)
           and m.queued_at <= w.closed_at
           and coalesce(m.sent_at, m.queued_at) between w.closed_at - make_interval(days => p_window_days) and w.closed_at
      ) pt on w.contact_id is not null
      left join lateral (
        select min(a.occurred_at) as first_at, max(a.occurred_at) as last_at
          from public.activities a
         where a.tenant_id = p_tenant_id and a.contact_id = w.contact_id and a.kind in ('call', 'email', 'meeting')
           and a.occurred_at between w.closed_at - make_interval(days => p_window_days) and w.closed_at
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
           'closed_at', j.closed_at, 'value', j.value, 'currency', j.currency, 'attributed', j.attributed,
           'platform_touches', coalesce(j.platform_touches, 0), 'first_platform_at', j.first_platform, 'last_platform_at', j.last_platform,
           'fees', case when j.currency = 'EUR' then round(coalesce(j.value, 0) * p_fee_rate / 100, 2) end)
         order by j.attributed desc, j.closed_at desc), '[]'),
         count(*), coalesce(sum(j.value) filter (where j.currency = 'EUR'), 0),
         count(*) filter (where j.attributed and j.currency = 'EUR'),
         coalesce(sum(j.value) filter (where j.attributed and j.currency = 'EUR'), 0),
         count(*) filter (where j.currency <> 'EUR'),
         count(*) filter (where j.value is null)
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

revoke all on function private.plan_monthly_price_eur(public.tenant_plan) from public, anon;
revoke all on function private.usage_unit_cost_eur(public.send_channel) from public, anon;
grant execute on function private.plan_monthly_price_eur(public.tenant_plan), private.usage_unit_cost_eur(public.send_channel)
  to authenticated, service_role;
revoke all on function public.analytics_roi(uuid, date, date, text, integer, numeric) from public, anon;
grant execute on function public.analytics_roi(uuid, date, date, text, integer, numeric) to authenticated, service_role;
