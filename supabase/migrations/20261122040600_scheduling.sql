-- Scheduling: the tick that turns due enrolment steps into queued sends, the
-- renderer that holds a message rather than send it with a blank, the event
-- recorder the webhooks call, suppression, and the enrolment RPCs.
--
-- `private.enqueue_due_steps(batch, now)` in one transaction: locks up to
-- `batch` due active enrolments (SKIP LOCKED, single-flight by advisory lock),
-- then per enrolment, in this order:
--   1. no step left at its position → completed;
--   2. exit rules (since enrolment): replied (if the sequence exits on reply),
--      unsubscribed, bounced, complained, meeting booked, deal won/lost, max attempts → exited;
--   3. the step's condition on the previous send (opened / clicked / not_opened /
--      no_reply / replied) false → the step is skipped, the next one is due;
--   4. the gate `private.can_send`: a permanent refusal exits (with its reason),
--      a time or cap refusal moves next_due_at to `private.next_send_slot`;
--   5. one touch per contact and per company per tick (the cap across sequences);
--   6. render the chosen variant; a placeholder without a value → held;
--   7. the plan quota: the excess waits for next month (quota_exceeded);
--   8. ledger row (idempotency key '<enrolment>:<step>', ON CONFLICT DO NOTHING)
--      and pgmq message (queue `email` or `sms`; WhatsApp rides `sms`) in the
--      same transaction; tasks become an activity for the contact's owner.
-- Then the enrolment moves to the next position, due `day_offset` sending days later.

-- ---------------------------------------------------------------- rendering

-- Values a template may use for a contact: its fields, its string custom fields, the agency's.
create or replace function private.template_values(c public.contacts, t public.tenants)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_strip_nulls(
    coalesce((select jsonb_object_agg(k, v #>> '{}') from jsonb_each(c.custom_fields) as x(k, v) where jsonb_typeof(v) in ('string', 'number')), '{}')
    || jsonb_build_object(
      'firstName', nullif(btrim(c.first_name), ''),
      'lastName', nullif(btrim(c.last_name), ''),
      'fullName', nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''),
      'companyName', nullif(btrim(c.company_name), ''),
      'jobTitle', nullif(btrim(c.job_title), ''),
      'city', nullif(btrim(c.city), ''),
      'postalCode', c.postal_code,
      'email', c.email,
      'agencyName', coalesce(nullif(btrim(t.display_name), ''), t.legal_name),
      'agencyCity', nullif(btrim(t.city), '')))
$$;

-- Renders {{name}} placeholders; `missing` lists those without a non-blank value
-- (the caller must then hold the message, never send it).
create or replace function private.render_template(p_template text, p_values jsonb)
returns table (rendered text, missing text[])
language plpgsql
immutable
set search_path = ''
as $$
declare
  out text := p_template;
  miss text[] := '{}';
  m text[];
  v text;
begin
  if p_template is null then
    return query select null::text, '{}'::text[];
    return;
  end if;
  for m in select regexp_matches(p_template, '\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}', 'g') loop
    v := nullif(btrim(p_values ->> m[1]), '');
    if v is null then
      if not (m[1] = any (miss)) then miss := miss || m[1]; end if;
    else
      out := regexp_replace(out, '\{\{\s*' || m[1] || '\s*\}\}', replace(v, '\', '\\'), 'g');
    end if;
  end loop;
  return query select out, miss;
end;
$$;

-- ---------------------------------------------------------------- the tick

create or replace function private.enqueue_due_steps(p_batch integer default 1000, p_now timestamptz default now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
  if not pg_try_advisory_xact_lock(hashtext('private.enqueue_due_steps')) then
    return jsonb_build_object('skipped', 'another tick is running');
  end if;

  if to_regclass('pg_temp.sending_tick_work') is null then
  create temp table sending_tick_work (
    enrolment_id uuid primary key, tenant_id uuid, sequence_id uuid, version integer, contact_id uuid,
    position integer, attempts integer, enrolled_at timestamptz, max_attempts integer, exit_on_reply boolean,
    step_id uuid, channel public.send_channel, task_kind text, condition public.step_condition, variants jsonb,
    winner_variant text, company_key text, to_address text, plan public.tenant_plan,
    action text, reason text, next_at timestamptz, variant text, subject text, body text, send_id uuid
  ) on commit drop;
  end if;
  truncate pg_temp.sending_tick_work;

  -- The work list: due enrolments of active sequences, oldest first.
  insert into pg_temp.sending_tick_work (enrolment_id, tenant_id, sequence_id, version, contact_id, position, attempts,
                                         enrolled_at, max_attempts, exit_on_reply, step_id, channel, task_kind, condition,
                                         variants, winner_variant, company_key, to_address, plan)
  select e.id, e.tenant_id, e.sequence_id, e.sequence_version, e.contact_id, e.current_position, e.attempts,
         e.enrolled_at, s.max_attempts, s.exit_on_reply, st.id, st.channel, st.task_kind, st.condition,
         st.variants, st.winner_variant, private.contact_company_key(c),
         case when st.channel = 'email' then c.email when st.channel in ('sms', 'whatsapp') then c.phone end, t.plan
    from (select e0.* from public.sequence_enrolments e0
           where e0.status = 'active' and e0.next_due_at <= p_now
             and exists (select 1 from public.sequences s0 where s0.tenant_id = e0.tenant_id and s0.id = e0.sequence_id and s0.status = 'active')
           order by e0.next_due_at
           limit greatest(p_batch, 1)
           for update skip locked) e
    join public.sequences s on s.tenant_id = e.tenant_id and s.id = e.sequence_id
    join public.tenants t on t.id = e.tenant_id
    join public.contacts c on c.tenant_id = e.tenant_id and c.id = e.contact_id
    left join public.sequence_steps st on st.tenant_id = e.tenant_id and st.sequence_id = e.sequence_id
                                      and st.version = e.sequence_version and st.position = e.current_position;

  -- 1. Nothing left to do.
  update pg_temp.sending_tick_work set action = 'complete' where step_id is null;

  -- 2. Exit rules.
  update pg_temp.sending_tick_work w set action = 'exit', reason = x.reason
    from (
      select w2.enrolment_id, coalesce(
        (select case me.type when 'replied' then 'replied' when 'unsubscribed' then 'unsubscribed'
                             when 'bounced' then 'bounced' when 'complained' then 'complained' end
           from public.message_events me
          where me.tenant_id = w2.tenant_id and me.contact_id = w2.contact_id and me.occurred_at >= w2.enrolled_at
            and (me.type in ('unsubscribed', 'bounced', 'complained') or (me.type = 'replied' and w2.exit_on_reply))
          order by me.occurred_at limit 1),
        (select 'meeting_booked' from public.events ev
          where ev.tenant_id = w2.tenant_id and ev.type = 'appointment.booked' and ev.occurred_at >= w2.enrolled_at
            and ((ev.subject_type = 'contact' and ev.subject_id = w2.contact_id) or ev.payload ->> 'contact_id' = w2.contact_id::text)
          limit 1),
        (select case ps.kind when 'won' then 'deal_won' else 'deal_lost' end
           from public.deals d join public.pipeline_stages ps on ps.id = d.stage_id
          where d.tenant_id = w2.tenant_id and d.contact_id = w2.contact_id and ps.kind in ('won', 'lost')
            and d.closed_at >= w2.enrolled_at
          order by d.closed_at limit 1),
        case when w2.attempts >= w2.max_attempts then 'max_attempts' end) as reason
        from pg_temp.sending_tick_work w2 where w2.action is null
    ) x
   where w.enrolment_id = x.enrolment_id and x.reason is not null;

  -- 3. Conditions on the previous send of this enrolment.
  update pg_temp.sending_tick_work w set action = 'skip', reason = 'condition_' || w.condition
    from (
      select w2.enrolment_id, w2.condition, p.id as prev_id, p.queued_at as prev_at
        from pg_temp.sending_tick_work w2
        left join lateral (select ms.id, ms.queued_at from public.message_sends ms
                            where ms.tenant_id = w2.tenant_id and ms.enrolment_id = w2.enrolment_id
                            order by ms.queued_at desc limit 1) p on true
       where w2.action is null and w2.condition <> 'always'
    ) x
   where w.enrolment_id = x.enrolment_id
     and not case x.condition
       when 'opened' then exists (select 1 from public.message_events me where me.tenant_id = w.tenant_id and me.send_id = x.prev_id and me.type in ('opened', 'clicked'))
       when 'not_opened' then not exists (select 1 from public.message_events me where me.tenant_id = w.tenant_id and me.send_id = x.prev_id and me.type in ('opened', 'clicked'))
       when 'clicked' then exists (select 1 from public.message_events me where me.tenant_id = w.tenant_id and me.send_id = x.prev_id and me.type = 'clicked')
       when 'replied' then exists (select 1 from public.message_events me where me.tenant_id = w.tenant_id and me.contact_id = w.contact_id and me.type = 'replied' and me.occurred_at >= coalesce(x.prev_at, w.enrolled_at))
       when 'no_reply' then not exists (select 1 from public.message_events me where me.tenant_id = w.tenant_id and me.contact_id = w.contact_id and me.type = 'replied' and me.occurred_at >= coalesce(x.prev_at, w.enrolled_at))
       else true end;

  -- 4. The gate.
  update pg_temp.sending_tick_work w
     set action = case when g.reason in ('contact_not_found', 'do_not_contact', 'suppressed', 'no_email', 'no_phone', 'opted_out', 'no_consent')
                       then 'exit' else 'defer' end,
         reason = g.reason
    from pg_temp.sending_tick_work w2
    cross join lateral private.can_send(w2.contact_id, w2.channel, p_now, w2.task_kind, null, w2.step_id) g
   where w.enrolment_id = w2.enrolment_id and w2.action is null and not g.allowed;

  -- 5. One touch per contact and per company in this tick.
  update pg_temp.sending_tick_work w set action = 'defer', reason = 'frequency_cap'
    from (select enrolment_id,
                 row_number() over (partition by tenant_id, contact_id order by position desc, enrolment_id) as by_contact,
                 case when company_key is null then 1
                      else row_number() over (partition by tenant_id, company_key order by enrolment_id) end as by_company
            from pg_temp.sending_tick_work where action is null) r
   where w.enrolment_id = r.enrolment_id and (r.by_contact > 1 or r.by_company > 1);

  -- 6. Variant and rendering.
  update pg_temp.sending_tick_work w
     set variant = v.key,
         subject = rs.rendered,
         body = rb.rendered,
         action = case when cardinality(rs.missing) + cardinality(rb.missing) > 0 then 'hold' end,
         reason = case when cardinality(rs.missing) + cardinality(rb.missing) > 0
                       then 'missing_variable:' || array_to_string(array(select distinct unnest(rs.missing || rb.missing) order by 1), ',') end
    from pg_temp.sending_tick_work w2
    join public.contacts c on c.tenant_id = w2.tenant_id and c.id = w2.contact_id
    join public.tenants t on t.id = w2.tenant_id
    cross join lateral (
      select coalesce(
        (select x from jsonb_array_elements(w2.variants) x where x ->> 'key' = w2.winner_variant),
        w2.variants -> (abs(hashtext(w2.enrolment_id::text)) % jsonb_array_length(w2.variants)))) as vv(x)
    cross join lateral (select vv.x ->> 'key' as key, private.template_values(c, t) as vals) v
    cross join lateral private.render_template(vv.x ->> 'subject', v.vals) rs
    cross join lateral private.render_template(vv.x ->> 'body', v.vals) rb
   where w.enrolment_id = w2.enrolment_id and w2.action is null;

  -- 7. Quotas: what the month still allows per tenant and channel.
  update pg_temp.sending_tick_work w set action = 'defer', reason = 'quota_exceeded',
         next_at = (date_trunc('month', p_now at time zone 'UTC') + interval '1 month') at time zone 'UTC'
    from (
      select w2.enrolment_id,
             row_number() over (partition by w2.tenant_id, w2.channel order by w2.enrolment_id) as n,
             private.plan_send_quota(w2.plan, w2.channel) - coalesce(u.sent, 0) as remaining
        from pg_temp.sending_tick_work w2
        left join private.send_usage u on u.tenant_id = w2.tenant_id and u.channel = w2.channel
                                      and u.period = date_trunc('month', p_now at time zone 'UTC')::date
       where w2.action is null and w2.channel <> 'task'
    ) q
   where w.enrolment_id = q.enrolment_id and q.remaining is not null and q.n > q.remaining;

  update pg_temp.sending_tick_work set action = 'send', send_id = gen_random_uuid() where action is null;

  -- 8. Ledger + queue, one transaction. A row already in the ledger for this
  -- (enrolment, step) is not sent again (its enrolment still advances).
  insert into public.message_sends (id, tenant_id, enrolment_id, step_id, sequence_id, contact_id, channel, task_kind,
                                    idempotency_key, variant, to_address, subject, body, company_key, status, queued_at,
                                    sent_at, finished_at)
  select w.send_id, w.tenant_id, w.enrolment_id, w.step_id, w.sequence_id, w.contact_id, w.channel, w.task_kind,
         w.enrolment_id || ':' || w.step_id, w.variant, w.to_address, w.subject, w.body, w.company_key,
         case when w.channel = 'task' then 'sent' else 'queued' end::public.send_status, p_now,
         case when w.channel = 'task' then p_now end, case when w.channel = 'task' then p_now end
    from pg_temp.sending_tick_work w where w.action = 'send'
  on conflict do nothing;

  -- One message per inserted send (a conflicting row kept its own id, so it is not here).
  perform pgmq.send_batch(q.queue, q.msgs)
     from (select case when ms.channel = 'email' then 'email' else 'sms' end as queue,
                  array_agg(jsonb_build_object('type', 'send.' || ms.channel, 'sendId', ms.id) order by ms.id) as msgs
             from pg_temp.sending_tick_work w join public.message_sends ms on ms.id = w.send_id
            where w.action = 'send' and w.channel <> 'task'
            group by 1) q;

  -- Tasks: an activity assigned to the contact's owner.
  insert into public.activities (tenant_id, kind, contact_id, subject, body, due_date, assigned_to, created_by)
  select w.tenant_id, case when w.task_kind = 'call' then 'call' else 'task' end::public.activity_kind, w.contact_id,
         coalesce(w.subject, case w.task_kind when 'call' then 'Appel de prospection' else 'Visite' end), w.body,
         (p_now at time zone 'Europe/Paris')::date, c.owner_id, null
    from pg_temp.sending_tick_work w
    join public.contacts c on c.tenant_id = w.tenant_id and c.id = w.contact_id
   where w.action = 'send' and w.channel = 'task';

  -- Enrolments move on.
  update public.sequence_enrolments e
     set current_position = w.position + 1,
         attempts = e.attempts + case when w.action = 'send' then 1 else 0 end,
         last_step_at = case when w.action = 'send' then p_now else e.last_step_at end,
         held_reason = null,
         next_due_at = private.add_sending_days(w.tenant_id, w.contact_id, coalesce(nx.channel, w.channel), p_now,
                                                coalesce(nx.day_offset, 0), coalesce(nx.task_kind, w.task_kind))
    from pg_temp.sending_tick_work w
    left join public.sequence_steps nx on nx.tenant_id = w.tenant_id and nx.sequence_id = w.sequence_id
                                      and nx.version = w.version and nx.position = w.position + 1
   where e.id = w.enrolment_id and w.action in ('send', 'skip');

  update public.sequence_enrolments e
     set status = 'completed', ended_at = p_now, next_due_at = null
    from pg_temp.sending_tick_work w where e.id = w.enrolment_id and w.action = 'complete';

  update public.sequence_enrolments e
     set status = 'exited', exit_reason = w.reason, ended_at = p_now, next_due_at = null
    from pg_temp.sending_tick_work w where e.id = w.enrolment_id and w.action = 'exit';

  update public.sequence_enrolments e
     set status = 'held', held_reason = w.reason, next_due_at = null
    from pg_temp.sending_tick_work w where e.id = w.enrolment_id and w.action = 'hold';

  update public.sequence_enrolments e
     set held_reason = w.reason,
         next_due_at = coalesce(w.next_at,
                                private.next_send_slot(w.tenant_id, w.contact_id, w.channel, p_now, w.task_kind, w.step_id),
                                p_now + interval '1 day')
    from pg_temp.sending_tick_work w where e.id = w.enrolment_id and w.action = 'defer';

  select jsonb_build_object(
           'due', count(*),
           'enqueued', count(*) filter (where action = 'send' and channel <> 'task'),
           'tasks', count(*) filter (where action = 'send' and channel = 'task'),
           'skipped', count(*) filter (where action = 'skip'),
           'deferred', count(*) filter (where action = 'defer'),
           'held', count(*) filter (where action = 'hold'),
           'exited', count(*) filter (where action = 'exit'),
           'completed', count(*) filter (where action = 'complete'))
    into result from pg_temp.sending_tick_work;
  return result;
end;
$$;

-- ---------------------------------------------------------------- suppression and events

-- Suppresses every address of a contact for the whole tenant (every channel),
-- records the opt-outs, exits its running enrolments and cancels its queued sends.
create or replace function private.suppress_contact(p_tenant_id uuid, p_contact_id uuid, p_reason public.suppression_reason, p_source text)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  c public.contacts;
  n integer;
begin
  select * into c from public.contacts where tenant_id = p_tenant_id and id = p_contact_id;
  if not found then
    return 0;
  end if;
  insert into public.suppressions (tenant_id, address_kind, address_hash, reason, source, created_by)
  select p_tenant_id, k, private.address_hash(k, a), p_reason, p_source, null
    from (values ('email', c.email), ('phone', c.phone)) v(k, a) where a is not null
  on conflict (tenant_id, address_kind, address_hash) do nothing;
  if p_reason in ('unsubscribe', 'stop', 'complaint') then
    update public.contacts set email_consent = 'opt_out', sms_consent = 'opt_out', whatsapp_consent = 'opt_out'
     where tenant_id = p_tenant_id and id = p_contact_id;
  end if;
  update public.sequence_enrolments
     set status = 'exited', ended_at = now(), next_due_at = null,
         exit_reason = case p_reason when 'bounce' then 'bounced' when 'complaint' then 'complained' when 'stop' then 'unsubscribed'
                                     when 'unsubscribe' then 'unsubscribed' else 'suppressed' end
   where tenant_id = p_tenant_id and contact_id = p_contact_id and status in ('active', 'paused', 'held');
  get diagnostics n = row_count;
  update public.message_sends set status = 'cancelled', error = 'suppressed:' || p_reason, finished_at = now()
   where tenant_id = p_tenant_id and contact_id = p_contact_id and status = 'queued';
  return n;
end;
$$;

-- Records one provider event, once per (provider, event id). Returns false for a
-- replay. Updates the ledger, suppresses on unsubscribe/bounce/complaint, exits on
-- reply, emits the domain event and notifies the contact's owner of a reply.
create or replace function private.record_message_event(
  p_provider text, p_provider_event_id text, p_type public.message_event_type,
  p_send_id uuid default null, p_provider_message_id text default null,
  p_occurred_at timestamptz default now(), p_payload jsonb default '{}',
  p_tenant_id uuid default null, p_contact_id uuid default null)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s public.message_sends;
  t uuid := p_tenant_id;
  c uuid := p_contact_id;
  ev bigint;
  owner uuid;
begin
  if p_send_id is not null then
    select * into s from public.message_sends where id = p_send_id;
  elsif p_provider_message_id is not null then
    select * into s from public.message_sends where provider = p_provider and provider_message_id = p_provider_message_id;
  end if;
  t := coalesce(s.tenant_id, t);
  c := coalesce(s.contact_id, c);
  if t is null then
    return false;
  end if;
  insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at, payload)
  values (t, s.id, c, p_type, p_provider, p_provider_event_id, coalesce(p_occurred_at, now()), coalesce(p_payload, '{}'))
  on conflict (provider, provider_event_id) do nothing
  returning id into ev;
  if ev is null then
    return false;
  end if;
  if s.id is not null then
    update public.message_sends
       set status = case when p_type = 'delivered' and status in ('sent', 'sending', 'queued') then 'delivered'
                         when p_type in ('bounced', 'failed') then 'failed' else status end,
           error = case when p_type in ('bounced', 'failed') then coalesce(p_payload ->> 'reason', p_type::text) else error end,
           finished_at = case when p_type in ('delivered', 'bounced', 'failed') then coalesce(finished_at, now()) else finished_at end
     where id = s.id;
  end if;
  if c is not null then
    if p_type = 'unsubscribed' then
      perform private.suppress_contact(t, c, 'unsubscribe', p_provider);
    elsif p_type = 'complained' then
      perform private.suppress_contact(t, c, 'complaint', p_provider);
    elsif p_type = 'bounced' then
      perform private.suppress_contact(t, c, 'bounce', p_provider);
    elsif p_type = 'replied' then
      update public.sequence_enrolments e set status = 'exited', exit_reason = 'replied', ended_at = now(), next_due_at = null
        from public.sequences sq
       where e.tenant_id = t and e.contact_id = c and e.status in ('active', 'paused', 'held')
         and sq.tenant_id = e.tenant_id and sq.id = e.sequence_id and sq.exit_on_reply;
      select owner_id into owner from public.contacts where tenant_id = t and id = c;
      if owner is not null then
        insert into public.notifications (tenant_id, user_id, kind, title, body, link, payload)
        values (t, owner, 'message.replied', 'Nouvelle réponse d''un prospect', left(p_payload ->> 'text', 280),
                '/contacts/' || c, jsonb_build_object('contact_id', c, 'send_id', s.id));
      end if;
    end if;
    if p_type in ('clicked', 'replied') then
      -- An active interaction (a click counts, an open does not) for the 3-year retention rule.
      update public.contacts set last_activity_at = greatest(last_activity_at, coalesce(p_occurred_at, now()))
       where tenant_id = t and id = c;
    end if;
  end if;
  perform private.emit_event(t, 'message.' || p_type::text, 'contact', c,
    jsonb_build_object('send_id', s.id, 'provider', p_provider, 'channel', s.channel));
  return true;
end;
$$;

-- ---------------------------------------------------------------- RPCs for the app

-- Enrols contacts (of the caller's tenant) into a sequence at its current version.
-- Returns how many were newly enrolled (already enrolled contacts are left as they are).
create or replace function public.enrol_contacts(p_sequence_id uuid, p_contact_ids uuid[], p_start_at timestamptz default now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  sq public.sequences;
  n integer;
begin
  select * into sq from public.sequences where id = p_sequence_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'sequence_not_found';
  end if;
  perform private.require_role(sq.tenant_id, 'agent');
  insert into public.sequence_enrolments (tenant_id, sequence_id, sequence_version, contact_id, next_due_at, created_by)
  select sq.tenant_id, sq.id, sq.current_version, c.id, coalesce(p_start_at, now()), (select auth.uid())
    from public.contacts c where c.tenant_id = sq.tenant_id and c.id = any (p_contact_ids) and c.deleted_at is null
  on conflict (tenant_id, sequence_id, contact_id) do nothing;
  get diagnostics n = row_count;
  return n;
end;
$$;

-- Pause, resume or remove one enrolment. Resume is due at the next allowed slot
-- (never a burst of overdue steps: at most one step per tick and the caps apply).
create or replace function public.set_enrolment_state(p_enrolment_id uuid, p_action text)
returns public.sequence_enrolments
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e public.sequence_enrolments;
  st public.sequence_steps;
begin
  select * into e from public.sequence_enrolments where id = p_enrolment_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'enrolment_not_found';
  end if;
  perform private.require_role(e.tenant_id, 'agent');
  if p_action = 'pause' and e.status = 'active' then
    update public.sequence_enrolments set status = 'paused', next_due_at = null where id = e.id returning * into e;
  elsif p_action = 'resume' and e.status in ('paused', 'held') then
    select * into st from public.sequence_steps
     where tenant_id = e.tenant_id and sequence_id = e.sequence_id and version = e.sequence_version and position = e.current_position;
    update public.sequence_enrolments
       set status = 'active', held_reason = null,
           next_due_at = coalesce(case when st.id is not null
                                       then private.next_send_slot(e.tenant_id, e.contact_id, st.channel, now(), st.task_kind, st.id) end, now())
     where id = e.id returning * into e;
  elsif p_action = 'remove' and e.status in ('active', 'paused', 'held') then
    update public.sequence_enrolments set status = 'exited', exit_reason = 'manual_removal', ended_at = now(), next_due_at = null
     where id = e.id returning * into e;
  elsif p_action not in ('pause', 'resume', 'remove') then
    raise exception using errcode = '22023', message = 'invalid_action', detail = jsonb_build_object('field', 'action')::text;
  end if;
  return e;
end;
$$;

-- Starts a new version of a sequence: copies the current version's steps to
-- version + 1 and makes it current. Running enrolments stay on their version.
create or replace function public.create_sequence_version(p_sequence_id uuid)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  sq public.sequences;
begin
  select * into sq from public.sequences where id = p_sequence_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'sequence_not_found';
  end if;
  perform private.require_role(sq.tenant_id, 'agent');
  insert into public.sequence_steps (tenant_id, sequence_id, version, position, day_offset, channel, task_kind, condition,
                                     variants, window_days, window_start, window_end)
  select tenant_id, sequence_id, sq.current_version + 1, position, day_offset, channel, task_kind, condition,
         variants, window_days, window_start, window_end
    from public.sequence_steps where tenant_id = sq.tenant_id and sequence_id = sq.id and version = sq.current_version;
  update public.sequences set current_version = sq.current_version + 1 where id = sq.id;
  return sq.current_version + 1;
end;
$$;

-- This month's sends and the plan's quota per channel, for the usage meter.
create or replace function public.sending_usage(p_tenant_id uuid)
returns table (channel public.send_channel, used bigint, quota integer, period date)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return query
    select ch.c, coalesce(u.sent, 0), private.plan_send_quota(t.plan, ch.c), date_trunc('month', now() at time zone 'UTC')::date
      from public.tenants t
      cross join unnest(array['email', 'sms', 'whatsapp']::public.send_channel[]) as ch(c)
      left join private.send_usage u on u.tenant_id = t.id and u.channel = ch.c and u.period = date_trunc('month', now() at time zone 'UTC')::date
     where t.id = p_tenant_id;
end;
$$;

revoke all on function
  private.template_values(public.contacts, public.tenants), private.render_template(text, jsonb),
  private.enqueue_due_steps(integer, timestamptz), private.suppress_contact(uuid, uuid, public.suppression_reason, text),
  private.record_message_event(text, text, public.message_event_type, uuid, text, timestamptz, jsonb, uuid, uuid)
from public, anon, authenticated;
grant execute on function
  private.template_values(public.contacts, public.tenants), private.render_template(text, jsonb),
  private.enqueue_due_steps(integer, timestamptz), private.suppress_contact(uuid, uuid, public.suppression_reason, text),
  private.record_message_event(text, text, public.message_event_type, uuid, text, timestamptz, jsonb, uuid, uuid)
to service_role;
revoke all on function public.enrol_contacts(uuid, uuid[], timestamptz), public.set_enrolment_state(uuid, text),
  public.create_sequence_version(uuid), public.sending_usage(uuid) from public, anon;
grant execute on function public.enrol_contacts(uuid, uuid[], timestamptz), public.set_enrolment_state(uuid, text),
  public.create_sequence_version(uuid), public.sending_usage(uuid) to authenticated, service_role;
