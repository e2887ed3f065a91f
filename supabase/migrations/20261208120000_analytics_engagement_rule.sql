-- Engagement in the rollups follows the documented rule (docs/analytics.md):
-- every rate is "sends of the period that were opened (clicked, …) ÷ sends of
-- the period", a send being *sent* when its status is sent or delivered.
--
-- The first version counted an event in its send's bucket whatever the
-- send's status, so opens of a failed send (a send the provider later
-- rejected, or a hard bounce that turned it failed) were in the numerator but
-- not in the denominator: the demo dashboard read 31.1 % where the rule gives
-- 30.4 % (issue 9). Now:
--   - delivered, opened, clicked, replied and unsubscribed count only while
--     their send counts as sent: the event trigger skips them for a send that
--     is not sent, and the send trigger adds or removes them when the send
--     enters or leaves sent/delivered (a webhook ahead of the worker, a bounce);
--   - bounced counts whatever the status (a hard bounce turns the send failed
--     by design; the bounce is still the send's);
--   - events flagged `bot` (privacy proxies, link scanners: payload.bot = true,
--     see docs/sending.md) never count, neither in the rollup nor in the
--     contact's engagement milestone; a person's open after a proxy's still does.

create or replace function private.analytics_is_person(p_payload jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$ select coalesce(p_payload ->> 'bot', '') <> 'true' $$;
revoke all on function private.analytics_is_person(jsonb) from public, anon;
grant execute on function private.analytics_is_person(jsonb) to authenticated, service_role;

-- Provider events: the first person's event of each metric for a send is
-- counted in the send's bucket if the send counts as sent (bounces always);
-- engagement milestones move to the earliest person's event.
create or replace function private.analytics_events_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  with firsts as (
    select n.tenant_id, n.send_id, n.contact_id, private.analytics_metric(n.type) as metric, n.occurred_at
      from new_rows n
     where n.send_id is not null and private.analytics_metric(n.type) is not null
       and private.analytics_is_person(n.payload)
       and not exists (select 1 from public.message_events e
                        where e.tenant_id = n.tenant_id and e.send_id = n.send_id and e.id < n.id
                          and private.analytics_metric(e.type) = private.analytics_metric(n.type)
                          and private.analytics_is_person(e.payload))
  ), fs as (
    select f.*, s.channel, s.sequence_id, s.step_id, s.variant, coalesce(f.contact_id, s.contact_id) as cid,
           coalesce(s.sent_at, s.queued_at) as t, private.analytics_is_sent(s.status) as send_counted
      from firsts f join public.message_sends s on s.tenant_id = f.tenant_id and s.id = f.send_id
  ), rolled as (
    insert into public.analytics_send_rollup as r (tenant_id, day, hour, channel, sequence_id, step_id, variant,
                                                   delivered, opened, clicked, replied, unsubscribed, bounced)
    select tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
           channel, sequence_id, step_id, variant,
           count(*) filter (where metric = 'delivered'), count(*) filter (where metric = 'opened'),
           count(*) filter (where metric = 'clicked'), count(*) filter (where metric = 'replied'),
           count(*) filter (where metric = 'unsubscribed'), count(*) filter (where metric = 'bounced')
      from fs
     where send_counted or metric = 'bounced'
     group by 1, 2, 3, 4, 5, 6, 7
     order by 1, 2, 3, 4, 5, 6, 7
    on conflict on constraint analytics_send_rollup_key do update
      set delivered = r.delivered + excluded.delivered, opened = r.opened + excluded.opened,
          clicked = r.clicked + excluded.clicked, replied = r.replied + excluded.replied,
          unsubscribed = r.unsubscribed + excluded.unsubscribed, bounced = r.bounced + excluded.bounced
    returning 1
  )
  insert into public.analytics_contact_milestones as m (tenant_id, contact_id, engaged_at, replied_at)
  select tenant_id, cid, min(occurred_at), min(occurred_at) filter (where metric = 'replied')
    from fs
   where cid is not null and metric in ('opened', 'clicked', 'replied')
     and exists (select 1 from public.contacts c where c.tenant_id = fs.tenant_id and c.id = fs.cid)
   group by 1, 2
   order by 1, 2
  on conflict (tenant_id, contact_id) do update
    set engaged_at = least(m.engaged_at, excluded.engaged_at),
        replied_at = least(m.replied_at, excluded.replied_at), updated_at = now()
    where m.engaged_at is distinct from least(m.engaged_at, excluded.engaged_at)
       or m.replied_at is distinct from least(m.replied_at, excluded.replied_at);
  return null;
end;
$$;

-- Status changes: +1 when a send becomes sent (or failed), -1 if it leaves
-- that state; a send entering or leaving sent brings its engagement with it.
create or replace function private.analytics_sends_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.analytics_send_rollup as r (tenant_id, day, hour, channel, sequence_id, step_id, variant,
                                                 sent, segments, failed, delivered, opened, clicked, replied, unsubscribed)
  select tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
         channel, sequence_id, step_id, variant, sum(d_sent), sum(d_segments), sum(d_failed),
         sum(d_sent * e_delivered), sum(d_sent * e_opened), sum(d_sent * e_clicked), sum(d_sent * e_replied), sum(d_sent * e_unsubscribed)
    from (
      select n.tenant_id, n.channel, n.sequence_id, n.step_id, n.variant, coalesce(n.sent_at, n.queued_at) as t,
             (private.analytics_is_sent(n.status)::int - private.analytics_is_sent(o.status)::int) as d_sent,
             (private.analytics_is_sent(n.status)::int - private.analytics_is_sent(o.status)::int) * coalesce(n.segments, 1) as d_segments,
             ((n.status = 'failed')::int - (o.status = 'failed')::int) as d_failed,
             coalesce(ev.delivered, 0) as e_delivered, coalesce(ev.opened, 0) as e_opened, coalesce(ev.clicked, 0) as e_clicked,
             coalesce(ev.replied, 0) as e_replied, coalesce(ev.unsubscribed, 0) as e_unsubscribed
        from new_rows n join old_rows o on o.id = n.id
        left join lateral (
          select (bool_or(x.type = 'delivered'))::int as delivered, (bool_or(x.type = 'opened'))::int as opened,
                 (bool_or(x.type = 'clicked'))::int as clicked, (bool_or(x.type = 'replied'))::int as replied,
                 (bool_or(x.type = 'unsubscribed'))::int as unsubscribed
            from public.message_events x
           where x.tenant_id = n.tenant_id and x.send_id = n.id
             and x.type in ('delivered', 'opened', 'clicked', 'replied', 'unsubscribed')
             and private.analytics_is_person(x.payload)
        ) ev on private.analytics_is_sent(n.status) <> private.analytics_is_sent(o.status)
       where private.analytics_is_sent(n.status) <> private.analytics_is_sent(o.status)
          or (n.status = 'failed') <> (o.status = 'failed')
    ) x
   group by 1, 2, 3, 4, 5, 6, 7
   order by 1, 2, 3, 4, 5, 6, 7
  on conflict on constraint analytics_send_rollup_key do update
    set sent = r.sent + excluded.sent, segments = r.segments + excluded.segments, failed = r.failed + excluded.failed,
        delivered = r.delivered + excluded.delivered, opened = r.opened + excluded.opened, clicked = r.clicked + excluded.clicked,
        replied = r.replied + excluded.replied, unsubscribed = r.unsubscribed + excluded.unsubscribed;

  insert into public.analytics_contact_milestones as m (tenant_id, contact_id, contacted_at)
  select n.tenant_id, n.contact_id, min(coalesce(n.sent_at, n.queued_at))
    from new_rows n join old_rows o on o.id = n.id
   where n.contact_id is not null and private.analytics_is_sent(n.status) and not private.analytics_is_sent(o.status)
   group by 1, 2
   order by 1, 2
  on conflict (tenant_id, contact_id) do update
    set contacted_at = least(m.contacted_at, excluded.contacted_at), updated_at = now()
    where m.contacted_at is null or excluded.contacted_at < m.contacted_at;
  return null;
end;
$$;

-- The send rollup rebuilt under the same rule (the milestones are rebuilt by
-- private.analytics_rebuild_milestones).
create or replace function private.analytics_rebuild_sends(p_tenant_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  n bigint;
begin
  delete from public.analytics_send_rollup where tenant_id = p_tenant_id;
  insert into public.analytics_send_rollup (tenant_id, day, hour, channel, sequence_id, step_id, variant,
                                            sent, segments, failed, delivered, opened, clicked, replied, unsubscribed, bounced)
  select s.tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
         s.channel, s.sequence_id, s.step_id, s.variant,
         count(*) filter (where private.analytics_is_sent(s.status)),
         coalesce(sum(coalesce(s.segments, 1)) filter (where private.analytics_is_sent(s.status)), 0),
         count(*) filter (where s.status = 'failed'),
         coalesce(sum(e.delivered) filter (where private.analytics_is_sent(s.status)), 0),
         coalesce(sum(e.opened) filter (where private.analytics_is_sent(s.status)), 0),
         coalesce(sum(e.clicked) filter (where private.analytics_is_sent(s.status)), 0),
         coalesce(sum(e.replied) filter (where private.analytics_is_sent(s.status)), 0),
         coalesce(sum(e.unsubscribed) filter (where private.analytics_is_sent(s.status)), 0),
         coalesce(sum(e.bounced), 0)
    from public.message_sends s
    cross join lateral (select coalesce(s.sent_at, s.queued_at) as t) tt
    left join lateral (
      select (bool_or(x.type = 'delivered'))::int as delivered, (bool_or(x.type = 'opened'))::int as opened,
             (bool_or(x.type = 'clicked'))::int as clicked, (bool_or(x.type = 'replied'))::int as replied,
             (bool_or(x.type = 'unsubscribed'))::int as unsubscribed, (bool_or(x.type in ('bounced', 'soft_bounced')))::int as bounced
        from public.message_events x
       where x.tenant_id = s.tenant_id and x.send_id = s.id and private.analytics_is_person(x.payload)
    ) e on true
   where s.tenant_id = p_tenant_id
   group by 1, 2, 3, 4, 5, 6, 7
  having count(*) filter (where private.analytics_is_sent(s.status) or s.status = 'failed') > 0
      or coalesce(sum(e.bounced), 0) > 0;
  get diagnostics n = row_count;
  return n;
end;
$$;

-- The milestones rebuilt from their sources (engagement: a person's events only).
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
    left join (select d.contact_id, min(d.closed_at) as at from public.deals d
                 join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
                where d.tenant_id = p_tenant_id and d.contact_id is not null and s.kind = 'won' group by 1) w on w.contact_id = c.id
   where c.tenant_id = p_tenant_id
     and coalesce(ms.contacted_at, me.engaged_at, q.at, dq.at, ap.at, mt.at, pr.at, w.at) is not null;
  get diagnostics n = row_count;
  return n;
end;
$$;

create or replace function private.analytics_rebuild(p_tenant_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(hashtextextended('analytics_rebuild:' || p_tenant_id, 0));
  return jsonb_build_object('rollup_rows', private.analytics_rebuild_sends(p_tenant_id),
                            'milestone_rows', private.analytics_rebuild_milestones(p_tenant_id));
end;
$$;

revoke all on function private.analytics_rebuild_sends(uuid) from public, anon, authenticated;
revoke all on function private.analytics_rebuild_milestones(uuid) from public, anon, authenticated;
grant execute on function private.analytics_rebuild_sends(uuid), private.analytics_rebuild_milestones(uuid) to service_role;

-- Existing figures under the rule.
select private.analytics_rebuild(t.id) from public.tenants t;
