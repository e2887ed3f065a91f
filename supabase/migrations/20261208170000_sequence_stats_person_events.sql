-- The sequences page counts engagement under the dashboard's rule
-- (20261208120000_analytics_engagement_rule.sql, docs/analytics.md): only a
-- person's events count, private.analytics_is_person(payload) — an event
-- flagged `bot` (privacy-proxy open, link-scanner click) never does.
--
-- public.sequence_overview and public.sequence_step_stats (20261207080000)
-- left out bot clicks but counted bot opens, so the list's and the funnel's
-- open rate read higher than the dashboard's for the same sends (an Apple MPP
-- proxy open was an "opened" send). They now apply the rule to every event
-- they read (opens, clicks, replies, deliveries, bounces…; providers flag only
-- opens and clicks today). private.ab_variant_stats (20261207040200) already
-- left bot clicks and replies out with its own cast of payload.bot; it now
-- calls the same rule (the A/B test never reads opens). Signatures, security
-- invoker/definer and grants are unchanged (create or replace keeps grants;
-- authenticated may execute private.analytics_is_person, the invoker readers
-- call it as the signed-in member).

-- The list.
create or replace function public.sequence_overview(p_tenant_id uuid)
returns table (
  id uuid, name text, status public.sequence_status, paused_reason text, audience public.sequence_audience,
  prospect_base_id uuid, base_name text, reevaluate_audience boolean, current_version integer,
  audience_size bigint, enrolled bigint, active bigint, held bigint, completed bigint, exited bigint,
  sent bigint, delivered bigint, opened bigint, clicked bigint, replied bigint, bounced bigint, complained bigint,
  unsubscribed bigint, steps integer, created_at timestamptz, updated_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select s.id, s.name, s.status, s.paused_reason, s.audience, s.prospect_base_id, b.name, s.reevaluate_audience, s.current_version,
         case when s.audience = 'base' and s.prospect_base_id is not null then
           (select count(*) from public.prospect_base_members m join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
             where m.tenant_id = s.tenant_id and m.prospect_base_id = s.prospect_base_id and c.deleted_at is null) end,
         coalesce(e.enrolled, 0), coalesce(e.active, 0), coalesce(e.held, 0), coalesce(e.completed, 0), coalesce(e.exited, 0),
         coalesce(m.sent, 0), coalesce(m.delivered, 0), coalesce(m.opened, 0), coalesce(m.clicked, 0), coalesce(e.replied, 0),
         coalesce(m.bounced, 0), coalesce(m.complained, 0), coalesce(m.unsubscribed, 0),
         (select count(*)::int from public.sequence_steps st where st.tenant_id = s.tenant_id and st.sequence_id = s.id and st.version = s.current_version),
         s.created_at, s.updated_at
    from public.sequences s
    left join public.prospect_bases b on b.tenant_id = s.tenant_id and b.id = s.prospect_base_id
    left join lateral (
      select count(*) as enrolled,
             count(*) filter (where en.status = 'active') as active,
             count(*) filter (where en.status = 'held') as held,
             count(*) filter (where en.status = 'completed') as completed,
             count(*) filter (where en.status = 'exited') as exited,
             -- a reply counts per contact (an inbound SMS carries no send id)
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = en.tenant_id and me.contact_id = en.contact_id
                                                                              and me.type = 'replied' and me.occurred_at >= en.enrolled_at and private.analytics_is_person(me.payload))) as replied
        from public.sequence_enrolments en where en.tenant_id = s.tenant_id and en.sequence_id = s.id) e on true
    left join lateral (
      select count(*) filter (where ms.status in ('sent', 'delivered') or ms.sent_at is not null) as sent,
             count(*) filter (where ms.status = 'delivered' or exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'delivered' and private.analytics_is_person(me.payload))) as delivered,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type in ('opened', 'clicked') and private.analytics_is_person(me.payload))) as opened,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'clicked' and private.analytics_is_person(me.payload))) as clicked,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'bounced' and private.analytics_is_person(me.payload))) as bounced,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'complained' and private.analytics_is_person(me.payload))) as complained,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'unsubscribed' and private.analytics_is_person(me.payload))) as unsubscribed
        from public.message_sends ms
       where ms.tenant_id = s.tenant_id and ms.sequence_id = s.id and ms.enrolment_id is not null and ms.channel <> 'task') m on true
   where s.tenant_id = p_tenant_id
   order by case s.status when 'active' then 0 when 'paused' then 1 when 'draft' then 2 else 3 end, s.updated_at desc
$$;

-- The funnel per step and variant.
create or replace function public.sequence_step_stats(p_sequence_id uuid)
returns table (
  step_id uuid, version integer, "position" integer, channel public.send_channel, variant text,
  queued bigint, sent bigint, delivered bigint, opened bigint, clicked bigint, replied bigint,
  bounced bigint, complained bigint, unsubscribed bigint, failed bigint, cancelled bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  with sends as (
    select ms.* from public.message_sends ms
     where ms.sequence_id = p_sequence_id and ms.step_id is not null and ms.enrolment_id is not null
  ), ev as (
    -- only a person's events: an event flagged as a bot's (privacy proxy open, link scanner click) never counts
    select me.send_id, me.type from public.message_events me join sends s on s.tenant_id = me.tenant_id and s.id = me.send_id
     where private.analytics_is_person(me.payload)
    union
    select (select s2.id from sends s2 where s2.tenant_id = me.tenant_id and s2.contact_id = me.contact_id and s2.queued_at <= me.occurred_at
             order by s2.queued_at desc limit 1), me.type
      from public.message_events me
     where me.send_id is null and me.type = 'replied' and private.analytics_is_person(me.payload)
       and me.contact_id in (select s3.contact_id from sends s3)
  )
  select st.id, st.version, st.position, st.channel, s.variant,
         count(s.id) filter (where s.status = 'queued' or s.status = 'sending'),
         count(s.id) filter (where s.status in ('sent', 'delivered') or s.sent_at is not null),
         count(s.id) filter (where s.status = 'delivered' or exists (select 1 from ev where ev.send_id = s.id and ev.type = 'delivered')),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type in ('opened', 'clicked'))),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type = 'clicked')),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type = 'replied')),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type = 'bounced')),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type = 'complained')),
         count(s.id) filter (where exists (select 1 from ev where ev.send_id = s.id and ev.type = 'unsubscribed')),
         count(s.id) filter (where s.status = 'failed'),
         count(s.id) filter (where s.status = 'cancelled')
    from public.sequence_steps st
    left join sends s on s.tenant_id = st.tenant_id and s.step_id = st.id
   where st.sequence_id = p_sequence_id
   group by st.id, st.version, st.position, st.channel, s.variant
   order by st.version, st.position, s.variant nulls first
$$;

-- The A/B test's numbers per variant (the metric's successes: a person's clicks or replies).
create or replace function private.ab_variant_stats(p_tenant_id uuid, p_step_id uuid, p_metric text)
returns table (variant text, sends bigint, successes bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select ms.variant, count(*),
         count(*) filter (where exists (
           select 1 from public.message_events me
            where me.tenant_id = ms.tenant_id and me.send_id = ms.id
              and me.type = case when p_metric = 'click' then 'clicked'::public.message_event_type else 'replied'::public.message_event_type end
              and private.analytics_is_person(me.payload)))
    from public.message_sends ms
   where ms.tenant_id = p_tenant_id and ms.step_id = p_step_id and ms.variant is not null
     and (ms.status in ('sent', 'delivered') or (ms.status = 'failed' and ms.sent_at is not null))
   group by ms.variant
$$;
