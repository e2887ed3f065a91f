-- Analytics rollups, maintained incrementally by triggers and reconciled
-- nightly (20261207100300_analytics_cron.sql). The dashboard never reads the
-- message ledger row by row: it sums these small tables.
--
-- analytics_send_rollup: one row per tenant × Paris day × Paris hour × channel
--   × sequence × step × variant of the *send*. Provider events (delivered,
--   opened, …) are counted in the bucket of the send they belong to, once per
--   send and metric (the first event of that kind), so every rate is
--   "sends of the period that were opened / sends of the period".
-- analytics_contact_milestones: per contact, the first time it reached each
--   step of the prospecting funnel (contacted → engaged → qualified →
--   appointment → proposal → won). Message milestones come from the ledger
--   triggers; the others are recomputed for the contact when a deal, an
--   activity or a domain event about it is written.
--
-- Both tables are read-only for members (RLS, assistant and up) and written
-- only by the security definer maintenance functions below.

-- ---------------------------------------------------------------- tables

create table public.analytics_send_rollup (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  day date not null,
  hour smallint not null,
  channel public.send_channel not null,
  sequence_id uuid,
  step_id uuid,
  variant text,
  sent integer not null default 0,
  segments integer not null default 0,
  failed integer not null default 0,
  delivered integer not null default 0,
  opened integer not null default 0,
  clicked integer not null default 0,
  replied integer not null default 0,
  unsubscribed integer not null default 0,
  bounced integer not null default 0,
  constraint analytics_send_rollup_hour check (hour between 0 and 23),
  constraint analytics_send_rollup_key unique nulls not distinct (tenant_id, day, hour, channel, sequence_id, step_id, variant)
);
comment on table public.analytics_send_rollup is
  'Sends and their first engagement events per tenant, Paris day and hour of the send, channel, sequence, step and variant. Maintained by triggers on message_sends and message_events.';
create index analytics_send_rollup_step_idx on public.analytics_send_rollup (tenant_id, step_id, day) where step_id is not null;

create table public.analytics_contact_milestones (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  contact_id uuid not null,
  contacted_at timestamptz,
  engaged_at timestamptz,
  replied_at timestamptz,
  qualified_at timestamptz,
  appointment_at timestamptz,
  proposal_at timestamptz,
  won_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, contact_id),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade
);
comment on table public.analytics_contact_milestones is
  'First time each contact reached each funnel step. contacted/engaged/replied from the message ledger; qualified (lead.qualified event or a deal), appointment (appointment.booked event or a meeting), proposal (a deal at an open stage of probability >= 40 % or won) and won (a won deal) from their sources.';
create index analytics_contact_milestones_contacted_idx on public.analytics_contact_milestones (tenant_id, contacted_at)
  where contacted_at is not null;

-- Indexes the analytics read paths need on existing tables.
create index message_events_tenant_occurred_idx on public.message_events (tenant_id, occurred_at desc);
create index deal_stage_history_tenant_changed_idx on public.deal_stage_history (tenant_id, changed_at);
create index deals_tenant_closed_idx on public.deals (tenant_id, closed_at) where closed_at is not null;
create index contacts_tenant_created_idx on public.contacts (tenant_id, created_at);

-- ---------------------------------------------------------------- helpers

-- Which rollup counter a provider event feeds (null: none).
create or replace function private.analytics_metric(p_type public.message_event_type)
returns text
language sql
immutable
set search_path = ''
as $$
  select case p_type
    when 'delivered' then 'delivered'
    when 'opened' then 'opened'
    when 'clicked' then 'clicked'
    when 'replied' then 'replied'
    when 'unsubscribed' then 'unsubscribed'
    when 'bounced' then 'bounced'
    when 'soft_bounced' then 'bounced'
  end
$$;

-- A send counts as sent once the provider accepted it.
create or replace function private.analytics_is_sent(p_status public.send_status)
returns boolean
language sql
immutable
set search_path = ''
as $$ select p_status in ('sent', 'delivered') $$;

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
         (select min(d.closed_at) from public.deals d
            join public.pipeline_stages s on s.tenant_id = d.tenant_id and s.id = d.stage_id
           where d.tenant_id = p_tenant_id and d.contact_id = p_contact_id and s.kind = 'won')
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

-- ---------------------------------------------------------------- ledger triggers

-- New sends: count the ones already sent (bulk loads, imports) and failures.
create or replace function private.analytics_sends_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.analytics_send_rollup as r (tenant_id, day, hour, channel, sequence_id, step_id, variant, sent, segments, failed)
  select tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
         channel, sequence_id, step_id, variant,
         count(*) filter (where is_sent), coalesce(sum(coalesce(segments, 1)) filter (where is_sent), 0),
         count(*) filter (where status = 'failed')
    from (select n.*, coalesce(n.sent_at, n.queued_at) as t, private.analytics_is_sent(n.status) as is_sent from new_rows n) x
   where is_sent or status = 'failed'
   group by 1, 2, 3, 4, 5, 6, 7
   order by 1, 2, 3, 4, 5, 6, 7
  on conflict on constraint analytics_send_rollup_key do update
    set sent = r.sent + excluded.sent, segments = r.segments + excluded.segments, failed = r.failed + excluded.failed;

  insert into public.analytics_contact_milestones as m (tenant_id, contact_id, contacted_at)
  select tenant_id, contact_id, min(coalesce(sent_at, queued_at))
    from new_rows
   where contact_id is not null and private.analytics_is_sent(status)
   group by 1, 2
   order by 1, 2
  on conflict (tenant_id, contact_id) do update
    set contacted_at = least(m.contacted_at, excluded.contacted_at), updated_at = now()
    where m.contacted_at is null or excluded.contacted_at < m.contacted_at;
  return null;
end;
$$;

-- Status changes: +1 when a send becomes sent (or failed), -1 if it leaves that state.
create or replace function private.analytics_sends_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.analytics_send_rollup as r (tenant_id, day, hour, channel, sequence_id, step_id, variant, sent, segments, failed)
  select tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
         channel, sequence_id, step_id, variant, sum(d_sent), sum(d_segments), sum(d_failed)
    from (
      select n.tenant_id, n.channel, n.sequence_id, n.step_id, n.variant, coalesce(n.sent_at, n.queued_at) as t,
             (private.analytics_is_sent(n.status)::int - private.analytics_is_sent(o.status)::int) as d_sent,
             (private.analytics_is_sent(n.status)::int - private.analytics_is_sent(o.status)::int) * coalesce(n.segments, 1) as d_segments,
             ((n.status = 'failed')::int - (o.status = 'failed')::int) as d_failed
        from new_rows n join old_rows o on o.id = n.id
       where private.analytics_is_sent(n.status) <> private.analytics_is_sent(o.status)
          or (n.status = 'failed') <> (o.status = 'failed')
    ) x
   group by 1, 2, 3, 4, 5, 6, 7
   order by 1, 2, 3, 4, 5, 6, 7
  on conflict on constraint analytics_send_rollup_key do update
    set sent = r.sent + excluded.sent, segments = r.segments + excluded.segments, failed = r.failed + excluded.failed;

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

-- Provider events: the first event of each metric for a send is counted in
-- the send's bucket; engagement milestones move to the earliest event.
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
       and not exists (select 1 from public.message_events e
                        where e.tenant_id = n.tenant_id and e.send_id = n.send_id and e.id < n.id
                          and private.analytics_metric(e.type) = private.analytics_metric(n.type))
  ), fs as (
    select f.*, s.channel, s.sequence_id, s.step_id, s.variant, coalesce(f.contact_id, s.contact_id) as cid,
           coalesce(s.sent_at, s.queued_at) as t
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

create trigger analytics_sends_inserted after insert on public.message_sends
  referencing new table as new_rows for each statement execute function private.analytics_sends_inserted();
create trigger analytics_sends_updated after update on public.message_sends
  referencing old table as old_rows new table as new_rows for each statement execute function private.analytics_sends_updated();
create trigger analytics_events_inserted after insert on public.message_events
  referencing new table as new_rows for each statement execute function private.analytics_events_inserted();

-- ---------------------------------------------------------------- funnel source triggers

create or replace function private.analytics_contact_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'events' then
    if new.subject_type = 'contact' then
      perform private.analytics_refresh_contact(new.tenant_id, new.subject_id);
    end if;
  elsif tg_op = 'DELETE' then
    perform private.analytics_refresh_contact(old.tenant_id, old.contact_id);
  else
    perform private.analytics_refresh_contact(new.tenant_id, new.contact_id);
    if tg_op = 'UPDATE' and old.contact_id is distinct from new.contact_id then
      perform private.analytics_refresh_contact(old.tenant_id, old.contact_id);
    end if;
  end if;
  return null;
end;
$$;

create trigger analytics_deals_changed after insert or delete or update of stage_id, contact_id, closed_at on public.deals
  for each row execute function private.analytics_contact_changed();
create trigger analytics_meetings_inserted after insert on public.activities
  for each row when (new.kind = 'meeting') execute function private.analytics_contact_changed();
create trigger analytics_meetings_updated after update of kind, contact_id, occurred_at on public.activities
  for each row when (new.kind = 'meeting' or old.kind = 'meeting') execute function private.analytics_contact_changed();
create trigger analytics_meetings_deleted after delete on public.activities
  for each row when (old.kind = 'meeting') execute function private.analytics_contact_changed();
create trigger analytics_events_changed after insert on public.events
  for each row when (new.type in ('lead.qualified', 'appointment.booked') and new.subject_type = 'contact')
  execute function private.analytics_contact_changed();

-- ---------------------------------------------------------------- rebuild

-- Recompute a tenant's rollups from the sources (nightly reconciliation,
-- bulk loads, tests). Returns the number of rollup and milestone rows.
create or replace function private.analytics_rebuild(p_tenant_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  n_rollup bigint; n_milestones bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('analytics_rebuild:' || p_tenant_id, 0));
  delete from public.analytics_send_rollup where tenant_id = p_tenant_id;
  insert into public.analytics_send_rollup (tenant_id, day, hour, channel, sequence_id, step_id, variant,
                                            sent, segments, failed, delivered, opened, clicked, replied, unsubscribed, bounced)
  select s.tenant_id, (t at time zone 'Europe/Paris')::date, extract(hour from t at time zone 'Europe/Paris')::smallint,
         s.channel, s.sequence_id, s.step_id, s.variant,
         count(*) filter (where private.analytics_is_sent(s.status)),
         coalesce(sum(coalesce(s.segments, 1)) filter (where private.analytics_is_sent(s.status)), 0),
         count(*) filter (where s.status = 'failed'),
         coalesce(sum(e.delivered), 0), coalesce(sum(e.opened), 0), coalesce(sum(e.clicked), 0),
         coalesce(sum(e.replied), 0), coalesce(sum(e.unsubscribed), 0), coalesce(sum(e.bounced), 0)
    from public.message_sends s
    cross join lateral (select coalesce(s.sent_at, s.queued_at) as t) tt
    left join lateral (
      select (bool_or(x.type = 'delivered'))::int as delivered, (bool_or(x.type = 'opened'))::int as opened,
             (bool_or(x.type = 'clicked'))::int as clicked, (bool_or(x.type = 'replied'))::int as replied,
             (bool_or(x.type = 'unsubscribed'))::int as unsubscribed, (bool_or(x.type in ('bounced', 'soft_bounced')))::int as bounced
        from public.message_events x where x.tenant_id = s.tenant_id and x.send_id = s.id
    ) e on true
   where s.tenant_id = p_tenant_id
   group by 1, 2, 3, 4, 5, 6, 7
  having count(*) filter (where private.analytics_is_sent(s.status) or s.status = 'failed') > 0
      or coalesce(sum(e.delivered + e.opened + e.clicked + e.replied + e.unsubscribed + e.bounced), 0) > 0;
  get diagnostics n_rollup = row_count;

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
                where e.tenant_id = p_tenant_id and e.type in ('opened', 'clicked', 'replied') group by 1) me on me.contact_id = c.id
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
  get diagnostics n_milestones = row_count;
  return jsonb_build_object('rollup_rows', n_rollup, 'milestone_rows', n_milestones);
end;
$$;

-- ---------------------------------------------------------------- RLS

alter table public.analytics_send_rollup enable row level security;
alter table public.analytics_contact_milestones enable row level security;
revoke all on public.analytics_send_rollup, public.analytics_contact_milestones from anon;
revoke insert, update, delete, truncate on public.analytics_send_rollup, public.analytics_contact_milestones from authenticated;

create policy analytics_send_rollup_select on public.analytics_send_rollup for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy analytics_contact_milestones_select on public.analytics_contact_milestones for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

revoke all on function private.analytics_metric(public.message_event_type) from public, anon;
revoke all on function private.analytics_is_sent(public.send_status) from public, anon;
grant execute on function private.analytics_metric(public.message_event_type), private.analytics_is_sent(public.send_status)
  to authenticated, service_role;
revoke all on function private.analytics_refresh_contact(uuid, uuid) from public, anon, authenticated;
revoke all on function private.analytics_sends_inserted() from public, anon, authenticated;
revoke all on function private.analytics_sends_updated() from public, anon, authenticated;
revoke all on function private.analytics_events_inserted() from public, anon, authenticated;
revoke all on function private.analytics_contact_changed() from public, anon, authenticated;
revoke all on function private.analytics_rebuild(uuid) from public, anon, authenticated;
grant execute on function private.analytics_rebuild(uuid) to service_role;
