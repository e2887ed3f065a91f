-- What the sequences screens need from the engine, as RPCs:
--   sequence_overview        the list: status, audience size, enrolments, sends, health rates
--   sequence_step_stats      the funnel per step and per A/B variant (distinct sends per event type)
--   sequence_enrolment_summary  where the enrolled contacts stand (version, position, status, reason)
--   sequence_contacts        the per-contact status table (keyset pages, search)
--   save_sequence_steps      saves the builder's steps in one transaction; a version already
--                            run by enrolments is never touched: the save becomes version + 1
--   set_sequence_state       launch (enrols the audience) / pause / resume / archive
--   preview_sequence_step    a step rendered for each contact of the audience; a placeholder
--                            without a value flags the contact as held, as the tick would
-- (the A/B override, public.set_ab_winner, is the engine's: 20261207040200_ab_winner.sql)
-- and the re-evaluated audience: a contact added later to the base of a running
-- sequence that re-evaluates its audience is enrolled at once.
--
-- Readers (overview, stats, contacts) are security invoker: RLS decides. Writers
-- are security definer with an explicit role check (private.require_role).

-- ---------------------------------------------------------------- the list

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
                                                                              and me.type = 'replied' and me.occurred_at >= en.enrolled_at)) as replied
        from public.sequence_enrolments en where en.tenant_id = s.tenant_id and en.sequence_id = s.id) e on true
    left join lateral (
      select count(*) filter (where ms.status in ('sent', 'delivered') or ms.sent_at is not null) as sent,
             count(*) filter (where ms.status = 'delivered' or exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'delivered')) as delivered,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type in ('opened', 'clicked'))) as opened,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'clicked'
                                                          and not coalesce((me.payload ->> 'bot')::boolean, false))) as clicked,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'bounced')) as bounced,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'complained')) as complained,
             count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'unsubscribed')) as unsubscribed
        from public.message_sends ms
       where ms.tenant_id = s.tenant_id and ms.sequence_id = s.id and ms.enrolment_id is not null and ms.channel <> 'task') m on true
   where s.tenant_id = p_tenant_id
   order by case s.status when 'active' then 0 when 'paused' then 1 when 'draft' then 2 else 3 end, s.updated_at desc
$$;

-- ---------------------------------------------------------------- funnel

-- One row per (step, variant) of every version of the sequence: distinct sends
-- that reached each stage. A reply without a send id (an inbound SMS) counts on
-- the contact's latest send of this sequence before the reply.
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
    -- a click flagged as a bot's (security scanners, privacy proxies) is not a person's click
    select me.send_id, me.type from public.message_events me join sends s on s.tenant_id = me.tenant_id and s.id = me.send_id
     where not (me.type = 'clicked' and coalesce((me.payload ->> 'bot')::boolean, false))
    union
    select (select s2.id from sends s2 where s2.tenant_id = me.tenant_id and s2.contact_id = me.contact_id and s2.queued_at <= me.occurred_at
             order by s2.queued_at desc limit 1), me.type
      from public.message_events me
     where me.send_id is null and me.type = 'replied'
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

-- Where the enrolled contacts are: per version, next position, status and reason.
create or replace function public.sequence_enrolment_summary(p_sequence_id uuid)
returns table (version integer, "position" integer, status public.enrolment_status, reason text, contacts bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select e.sequence_version, e.current_position, e.status,
         case e.status when 'held' then split_part(e.held_reason, ':', 1) when 'exited' then e.exit_reason
                       when 'active' then split_part(e.held_reason, ':', 1) end,
         count(*)
    from public.sequence_enrolments e
   where e.sequence_id = p_sequence_id
   group by 1, 2, 3, 4
   order by 1, 2, 3, 4
$$;

-- ---------------------------------------------------------------- per contact

create or replace function public.sequence_contacts(
  p_sequence_id uuid, p_status public.enrolment_status default null, p_search text default null,
  p_limit integer default 50, p_after_enrolled_at timestamptz default null, p_after_id uuid default null)
returns table (
  enrolment_id uuid, contact_id uuid, display_name text, email text, phone text, status public.enrolment_status,
  sequence_version integer, current_position integer, next_due_at timestamptz, held_reason text, exit_reason text,
  attempts integer, enrolled_at timestamptz, last_send_at timestamptz, last_send_status public.send_status, last_event text)
language sql
stable
security invoker
set search_path = ''
as $$
  select e.id, c.id,
         coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name, c.email, c.phone),
         c.email, c.phone, e.status, e.sequence_version, e.current_position, e.next_due_at, e.held_reason, e.exit_reason,
         e.attempts, e.enrolled_at, ls.queued_at, ls.status,
         (select me.type::text from public.message_events me
           where me.tenant_id = e.tenant_id and me.contact_id = e.contact_id and me.occurred_at >= e.enrolled_at
           order by me.occurred_at desc, me.id desc limit 1)
    from public.sequence_enrolments e
    join public.contacts c on c.tenant_id = e.tenant_id and c.id = e.contact_id
    left join lateral (select ms.queued_at, ms.status from public.message_sends ms
                        where ms.tenant_id = e.tenant_id and ms.enrolment_id = e.id
                        order by ms.queued_at desc limit 1) ls on true
   where e.sequence_id = p_sequence_id
     and (p_status is null or e.status = p_status)
     and (nullif(btrim(p_search), '') is null or c.search_text like '%' || private.search_text(btrim(p_search)) || '%')
     and (p_after_id is null or (e.enrolled_at, e.id) < (p_after_enrolled_at, p_after_id))
   order by e.enrolled_at desc, e.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 200)
$$;

-- ---------------------------------------------------------------- writers

-- Saves the whole path of a sequence. p_steps: [{day_offset, channel, task_kind?,
-- condition, variants: [{key, subject?, body}], window_days?, window_start?, window_end?}]
-- in order. When enrolments already run the current version, the steps go to a
-- new version (current + 1) that new enrolments will follow; otherwise the
-- current version's steps are replaced. Returns {version, new_version}.
create or replace function public.save_sequence_steps(p_sequence_id uuid, p_steps jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  sq public.sequences;
  v integer;
  in_use boolean;
  st jsonb;
  i integer := 0;
  vk jsonb;
begin
  select * into sq from public.sequences where id = p_sequence_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'sequence_not_found';
  end if;
  perform private.require_role(sq.tenant_id, 'agent');
  if sq.status = 'archived' then
    raise exception using errcode = '55000', message = 'sequence_archived';
  end if;
  if jsonb_typeof(p_steps) is distinct from 'array' or jsonb_array_length(p_steps) not between 1 and 20 then
    raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('reason', 'count')::text;
  end if;
  for st in select x from jsonb_array_elements(p_steps) x loop
    i := i + 1;
    if coalesce(st ->> 'channel', '') not in ('email', 'sms', 'whatsapp', 'task') then
      raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('index', i, 'field', 'channel')::text;
    end if;
    if i = 1 and coalesce(st ->> 'condition', 'always') <> 'always' then
      raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('index', i, 'field', 'condition', 'reason', 'first_step')::text;
    end if;
    if jsonb_typeof(st -> 'variants') is distinct from 'array' or jsonb_array_length(st -> 'variants') not between 1 and 3 then
      raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('index', i, 'field', 'variants')::text;
    end if;
    for vk in select x from jsonb_array_elements(st -> 'variants') x loop
      if nullif(btrim(vk ->> 'body'), '') is null then
        raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('index', i, 'field', 'body', 'variant', vk ->> 'key')::text;
      end if;
      if st ->> 'channel' = 'email' and nullif(btrim(vk ->> 'subject'), '') is null then
        raise exception using errcode = '22023', message = 'invalid_steps', detail = jsonb_build_object('index', i, 'field', 'subject', 'variant', vk ->> 'key')::text;
      end if;
    end loop;
  end loop;

  in_use := exists (select 1 from public.sequence_enrolments e
                     where e.tenant_id = sq.tenant_id and e.sequence_id = sq.id and e.sequence_version = sq.current_version);
  v := case when in_use then sq.current_version + 1 else sq.current_version end;
  if not in_use then
    delete from public.sequence_steps where tenant_id = sq.tenant_id and sequence_id = sq.id and version = v;
  end if;
  insert into public.sequence_steps (tenant_id, sequence_id, version, position, day_offset, channel, task_kind, condition,
                                     variants, window_days, window_start, window_end)
  select sq.tenant_id, sq.id, v, x.n::integer, coalesce((x.s ->> 'day_offset')::integer, 0), (x.s ->> 'channel')::public.send_channel,
         case when x.s ->> 'channel' = 'task' then coalesce(x.s ->> 'task_kind', 'call') end,
         coalesce(x.s ->> 'condition', 'always')::public.step_condition,
         (select jsonb_agg(jsonb_strip_nulls(jsonb_build_object('key', vv ->> 'key', 'subject', nullif(btrim(vv ->> 'subject'), ''),
                                                                'body', vv ->> 'body', 'template_id', vv ->> 'template_id')) order by vn)
            from jsonb_array_elements(x.s -> 'variants') with ordinality as w(vv, vn)),
         case when jsonb_typeof(x.s -> 'window_days') = 'array'
              then array(select d::smallint from jsonb_array_elements_text(x.s -> 'window_days') d order by 1) end,
         nullif(x.s ->> 'window_start', '')::time, nullif(x.s ->> 'window_end', '')::time
    from jsonb_array_elements(p_steps) with ordinality as x(s, n);
  if in_use then
    update public.sequences set current_version = v where id = sq.id;
  else
    update public.sequences set updated_at = now() where id = sq.id;
  end if;
  return jsonb_build_object('version', v, 'new_version', in_use);
end;
$$;

-- Enrols the contacts of the sequence's base that are not enrolled yet (not
-- deleted, not do-not-contact); the gate decides the rest at send time.
create or replace function private.enrol_sequence_audience(sq public.sequences, p_start_at timestamptz default now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n integer := 0;
begin
  if sq.audience = 'base' and sq.prospect_base_id is not null then
    insert into public.sequence_enrolments (tenant_id, sequence_id, sequence_version, contact_id, next_due_at, created_by)
    select sq.tenant_id, sq.id, sq.current_version, c.id, p_start_at, (select auth.uid())
      from public.prospect_base_members m
      join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
     where m.tenant_id = sq.tenant_id and m.prospect_base_id = sq.prospect_base_id and c.deleted_at is null and not c.do_not_contact
    on conflict (tenant_id, sequence_id, contact_id) do nothing;
    get diagnostics n = row_count;
  end if;
  return n;
end;
$$;

-- launch: draft → active and the audience is enrolled; pause: active → paused
-- (paused_reason 'manual'); resume: paused → active, newly added base contacts
-- enrolled when the audience is re-evaluated (overdue steps go one per tick
-- under the windows and caps: no burst); archive: stops for good.
-- Returns {status, enrolled}.
create or replace function public.set_sequence_state(p_sequence_id uuid, p_action text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  sq public.sequences;
  n integer := 0;
begin
  select * into sq from public.sequences where id = p_sequence_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'sequence_not_found';
  end if;
  perform private.require_role(sq.tenant_id, 'agent');
  if p_action = 'launch' then
    if sq.status <> 'draft' then
      raise exception using errcode = '55000', message = 'sequence_not_draft';
    end if;
    if not exists (select 1 from public.sequence_steps st where st.tenant_id = sq.tenant_id and st.sequence_id = sq.id and st.version = sq.current_version) then
      raise exception using errcode = '22023', message = 'sequence_has_no_steps';
    end if;
    if sq.audience = 'base' and sq.prospect_base_id is null then
      raise exception using errcode = '22023', message = 'sequence_has_no_audience';
    end if;
    update public.sequences set status = 'active', paused_reason = null where id = sq.id returning * into sq;
    n := private.enrol_sequence_audience(sq);
  elsif p_action = 'pause' then
    if sq.status <> 'active' then
      raise exception using errcode = '55000', message = 'sequence_not_active';
    end if;
    update public.sequences set status = 'paused', paused_reason = 'manual' where id = sq.id returning * into sq;
  elsif p_action = 'resume' then
    if sq.status <> 'paused' then
      raise exception using errcode = '55000', message = 'sequence_not_paused';
    end if;
    update public.sequences set status = 'active', paused_reason = null where id = sq.id returning * into sq;
    if sq.reevaluate_audience then
      n := private.enrol_sequence_audience(sq);
    end if;
  elsif p_action = 'archive' then
    update public.sequences set status = 'archived' where id = sq.id returning * into sq;
    update public.sequence_enrolments set status = 'exited', exit_reason = 'manual_removal', ended_at = now(), next_due_at = null
     where tenant_id = sq.tenant_id and sequence_id = sq.id and status in ('active', 'paused', 'held');
  else
    raise exception using errcode = '22023', message = 'invalid_action', detail = jsonb_build_object('field', 'action')::text;
  end if;
  return jsonb_build_object('status', sq.status, 'enrolled', n);
end;
$$;

-- Re-evaluated audiences: contacts added to a base later join the running
-- sequences on that base that asked for it.
create or replace function private.prospect_base_members_enrol()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.sequence_enrolments (tenant_id, sequence_id, sequence_version, contact_id, next_due_at, created_by)
  select s.tenant_id, s.id, s.current_version, c.id, now(), (select auth.uid())
    from new_rows m
    join public.sequences s on s.tenant_id = m.tenant_id and s.prospect_base_id = m.prospect_base_id
                           and s.audience = 'base' and s.reevaluate_audience and s.status = 'active'
    join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id and c.deleted_at is null and not c.do_not_contact
  on conflict (tenant_id, sequence_id, contact_id) do nothing;
  return null;
end;
$$;
create trigger prospect_base_members_enrol after insert on public.prospect_base_members
  referencing new table as new_rows for each statement execute function private.prospect_base_members_enrol();

-- ---------------------------------------------------------------- preview

-- The step rendered for the audience (the enrolled contacts, else the base's),
-- or for one contact: held = a placeholder has no value for that contact (the
-- tick would hold the enrolment: never a blank), gate_reason = what the
-- compliance gate says right now (null when the send is allowed now).
-- Held contacts first; totals over the whole audience (up to 5,000 contacts).
create or replace function public.preview_sequence_step(
  p_step_id uuid, p_variant text default null, p_contact_id uuid default null, p_limit integer default 20)
returns table (contact_id uuid, display_name text, to_address text, subject text, body text, missing text[],
               held boolean, gate_reason text, audience_total bigint, held_total bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  st public.sequence_steps;
  sq public.sequences;
  v jsonb;
begin
  select * into st from public.sequence_steps where id = p_step_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'step_not_found';
  end if;
  perform private.require_role(st.tenant_id, 'assistant');
  select * into sq from public.sequences where tenant_id = st.tenant_id and id = st.sequence_id;
  v := coalesce((select x from jsonb_array_elements(st.variants) x where x ->> 'key' = p_variant), st.variants -> 0);
  return query
  with audience as (
    select c.* from public.contacts c
     where c.tenant_id = st.tenant_id and c.deleted_at is null
       and (case when p_contact_id is not null then c.id = p_contact_id
                 when exists (select 1 from public.sequence_enrolments e where e.tenant_id = st.tenant_id and e.sequence_id = st.sequence_id)
                   then c.id in (select e.contact_id from public.sequence_enrolments e where e.tenant_id = st.tenant_id and e.sequence_id = st.sequence_id)
                 else c.id in (select m.contact_id from public.prospect_base_members m where m.tenant_id = st.tenant_id and m.prospect_base_id = sq.prospect_base_id) end)
     order by c.last_name nulls last, c.first_name nulls last, c.company_name, c.id
     limit 5000
  ), rendered as (
    select a.id, coalesce(nullif(btrim(concat_ws(' ', a.first_name, a.last_name)), ''), a.company_name, a.email, a.phone) as name,
           case when st.channel = 'email' then a.email when st.channel in ('sms', 'whatsapp') then a.phone end as addr,
           rs.rendered as subj, rb.rendered as bod,
           array(select distinct x from unnest(rs.missing || rb.missing) x order by 1) as miss
      from audience a
      join public.tenants t on t.id = a.tenant_id
      cross join lateral (select private.template_values(a, t) as vals) tv
      cross join lateral private.render_template(v ->> 'subject', tv.vals) rs
      cross join lateral private.render_template(v ->> 'body', tv.vals) rb
  ), flagged as (
    select r.*, cardinality(r.miss) > 0 as is_held,
           count(*) over () as total, count(*) filter (where cardinality(r.miss) > 0) over () as held_n
      from rendered r
  )
  select f.id, f.name, f.addr, f.subj, f.bod, f.miss, f.is_held,
         (select g.reason from private.can_send(f.id, st.channel, now(), st.task_kind, null, st.id) g),
         f.total, f.held_n
    from (select * from flagged order by is_held desc, name limit least(greatest(coalesce(p_limit, 20), 1), 100)) f
   order by f.is_held desc, f.name;
end;
$$;

-- ---------------------------------------------------------------- Realtime
-- The builder's live stats follow the ledger (already published), its events and the enrolments.
do $$
declare
  t text;
begin
  foreach t in array array['message_events', 'sequence_enrolments', 'sequences'] loop
    if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t) then
      execute format('alter publication supabase_realtime add table public.%I', t);
    end if;
  end loop;
end
$$;

-- ---------------------------------------------------------------- grants
revoke all on function
  public.sequence_overview(uuid), public.sequence_step_stats(uuid), public.sequence_enrolment_summary(uuid),
  public.sequence_contacts(uuid, public.enrolment_status, text, integer, timestamptz, uuid),
  public.save_sequence_steps(uuid, jsonb), public.set_sequence_state(uuid, text),
  public.preview_sequence_step(uuid, text, uuid, integer)
from public, anon;
grant execute on function
  public.sequence_overview(uuid), public.sequence_step_stats(uuid), public.sequence_enrolment_summary(uuid),
  public.sequence_contacts(uuid, public.enrolment_status, text, integer, timestamptz, uuid),
  public.save_sequence_steps(uuid, jsonb), public.set_sequence_state(uuid, text),
  public.preview_sequence_step(uuid, text, uuid, integer)
to authenticated, service_role;
revoke all on function private.enrol_sequence_audience(public.sequences, timestamptz), private.prospect_base_members_enrol()
from public, anon, authenticated;
grant execute on function private.enrol_sequence_audience(public.sequences, timestamptz) to service_role;
