-- The phone opposition list (Bloctel-style): numbers whose holders refused
-- telephone prospecting, per tenant (public.phone_oppositions: the agency's
-- own list, or its Bloctel check file) or platform-wide
-- (private.platform_phone_oppositions: an import the platform makes for every
-- tenant). Consulted by the gate for consumers only (the list does
-- not cover professionals) on the prospecting channels it concerns: SMS and
-- "call" tasks. Stored like suppressions, as the SHA-256 of the E.164 number
-- (private.address_hash('phone', …)), never the number itself.
--
-- The gate (private.can_send) answers `opposition_list` after the consent
-- rules: the tick holds the enrolment with that reason (status `held`, shown
-- in the sequence's held contacts), the worker cancels a queued send
-- (`blocked:opposition_list`). Replies in a thread the contact started do not
-- go through it (answering is not prospecting). Stricter than the law on one
-- point, on purpose: a recorded consent does not lift an opposition; an admin
-- removes the tenant's entry when the person asks to be called.

create table public.phone_oppositions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  phone_hash text not null,
  -- Where the entry comes from: 'bloctel', 'manual', a file name…
  source text not null default 'manual',
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  constraint phone_oppositions_hash_format check (phone_hash ~ '^[0-9a-f]{64}$'),
  constraint phone_oppositions_source_length check (char_length(btrim(source)) between 1 and 200)
);
create unique index phone_oppositions_tenant_key on public.phone_oppositions (tenant_id, phone_hash);
comment on table public.phone_oppositions is 'Hashed E.164 numbers opposed to phone prospecting (Bloctel-style), per tenant.';

-- The platform-wide list: every tenant's consumers; the platform (service role) fills it.
create table private.platform_phone_oppositions (
  phone_hash text primary key,
  source text not null default 'bloctel',
  created_at timestamptz not null default now(),
  constraint platform_phone_oppositions_hash_format check (phone_hash ~ '^[0-9a-f]{64}$'),
  constraint platform_phone_oppositions_source_length check (char_length(btrim(source)) between 1 and 200)
);
alter table private.platform_phone_oppositions enable row level security;
revoke all on private.platform_phone_oppositions from public, anon, authenticated;
grant select, insert, update, delete on private.platform_phone_oppositions to service_role;

alter table public.phone_oppositions enable row level security;
revoke all on public.phone_oppositions from anon;
revoke update on public.phone_oppositions from authenticated;
-- Members see their tenant's entries (hashes); admins add and lift them.
create policy phone_oppositions_select on public.phone_oppositions for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy phone_oppositions_insert on public.phone_oppositions for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy phone_oppositions_delete on public.phone_oppositions for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

-- A number as the list carries it → E.164: separators dropped, 00 → +, a French
-- national number (0X XX XX XX XX) → +33…; null when it is not a phone number.
create or replace function private.opposition_e164(p_phone text)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select case when n ~ '^\+[1-9][0-9]{6,14}$' then n end
    from (select case when s ~ '^00[1-9]' then '+' || substr(s, 3)
                      when s ~ '^0[1-9][0-9]{8}$' then '+33' || substr(s, 2)
                      else s end as n
            from (select regexp_replace(btrim(p_phone), '[\s.()/-]', '', 'g') as s) a) b
$$;

-- Is this contact's number opposed for this touch? Consumers only, SMS and calls.
create or replace function private.phone_opposed(c public.contacts, p_channel public.send_channel, p_task_kind text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select (p_channel = 'sms' or (p_channel = 'task' and p_task_kind = 'call'))
     and c.phone is not null
     and not private.contact_is_b2b(c)
     and (exists (select 1 from public.phone_oppositions o
                   where o.tenant_id = c.tenant_id and o.phone_hash = private.address_hash('phone', c.phone))
          or exists (select 1 from private.platform_phone_oppositions o
                      where o.phone_hash = private.address_hash('phone', c.phone)))
$$;

-- Adds numbers to a tenant's list (admin), or to the platform's (p_tenant_id
-- null, service role only). Returns {added, already, invalid}; invalid numbers
-- are counted, not stored.
create or replace function public.import_phone_oppositions(p_tenant_id uuid, p_phones text[], p_source text default 'bloctel')
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  hashes text[];
  invalid integer;
  added integer;
begin
  if p_tenant_id is null then
    -- The service role (REST) or a direct database session (no JWT claims).
    if coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', 'service_role') <> 'service_role' then
      raise exception using errcode = '42501', message = 'service_role_only';
    end if;
  else
    perform private.require_role(p_tenant_id, 'admin');
  end if;
  if coalesce(cardinality(p_phones), 0) > 100000 then
    raise exception using errcode = '22023', message = 'too_many_numbers', detail = jsonb_build_object('max', 100000)::text;
  end if;
  select coalesce(array_agg(distinct private.address_hash('phone', e)) filter (where e is not null), '{}'),
         count(*) filter (where e is null)
    into hashes, invalid
    from (select private.opposition_e164(p) as e from unnest(coalesce(p_phones, '{}')) p where nullif(btrim(p), '') is not null) x;
  if p_tenant_id is null then
    insert into private.platform_phone_oppositions (phone_hash, source)
    select h, coalesce(nullif(btrim(p_source), ''), 'bloctel') from unnest(hashes) h
    on conflict (phone_hash) do nothing;
  else
    insert into public.phone_oppositions (tenant_id, phone_hash, source)
    select p_tenant_id, h, coalesce(nullif(btrim(p_source), ''), 'bloctel') from unnest(hashes) h
    on conflict (tenant_id, phone_hash) do nothing;
  end if;
  get diagnostics added = row_count;
  return jsonb_build_object('added', added, 'already', cardinality(hashes) - added, 'invalid', invalid);
end;
$$;

revoke all on function private.opposition_e164(text), private.phone_opposed(public.contacts, public.send_channel, text) from public, anon, authenticated;
grant execute on function private.opposition_e164(text), private.phone_opposed(public.contacts, public.send_channel, text) to service_role;
revoke all on function public.import_phone_oppositions(uuid, text[], text) from public, anon;
grant execute on function public.import_phone_oppositions(uuid, text[], text) to authenticated, service_role;

-- THE gate (20261122040500_compliance.sql), with the opposition list after the consent rules.
create or replace function private.can_send(
  p_contact_id uuid, p_channel public.send_channel, p_at timestamptz default now(),
  p_task_kind text default 'call', p_ignore_send uuid default null, p_step_id uuid default null)
returns table (allowed boolean, reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c public.contacts;
  s public.tenant_sending_settings;
  st public.sequence_steps;
  r text;
  lt record;
  cap interval;
  kind text := case when p_channel = 'task' then coalesce(p_task_kind, 'call') end;
begin
  select * into c from public.contacts where id = p_contact_id;
  r := private.consent_block_reason(c, p_channel, kind, p_at);
  if r is not null then
    return query select false, r;
    return;
  end if;
  if private.phone_opposed(c, p_channel, kind) then
    return query select false, 'opposition_list';
    return;
  end if;
  s := private.sending_settings(c.tenant_id);
  if p_step_id is not null then
    select * into st from public.sequence_steps where id = p_step_id;
  end if;
  r := private.time_block_reason(p_channel, kind, (p_at at time zone private.recipient_timezone(c, s)), s,
                                 st.window_days, st.window_start, st.window_end);
  if r is not null then
    return query select false, r;
    return;
  end if;
  if not (p_channel = 'task' and kind = 'visit') then
    cap := make_interval(hours => s.frequency_cap_hours);
    select * into lt from private.last_touches(c, p_ignore_send);
    if lt.contact_last > p_at - cap then
      return query select false, 'frequency_cap';
      return;
    end if;
    if lt.company_last > p_at - cap then
      return query select false, 'company_frequency_cap';
      return;
    end if;
  end if;
  return query select true, null::text;
end;
$$;


-- The tick (20261207040900_tick_speed.sql), unchanged but for step 4: an
-- opposed number holds the enrolment (`held`, reason `opposition_list`) rather
-- than deferring it day after day; resuming it re-checks the list.
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

  -- The work table is new in every transaction: give the planner its real size,
  -- or it joins it to itself row by row (quadratic in the batch).
  analyze pg_temp.sending_tick_work;

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
                       then 'exit' when g.reason = 'opposition_list' then 'hold' else 'defer' end,
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


-- The app's check: no next slot for an opposed number (no time opens it).
create or replace function public.contact_send_check(p_contact_id uuid, p_channel public.send_channel, p_at timestamptz default now())
returns table (allowed boolean, reason text, next_slot timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  t uuid;
begin
  select c.tenant_id into t from public.contacts c where c.id = p_contact_id;
  if t is null then
    raise exception using errcode = 'P0002', message = 'contact_not_found';
  end if;
  perform private.require_role(t, 'assistant');
  return query
    select g.allowed, g.reason,
           case when g.reason = 'opposition_list' then null else private.next_send_slot(t, p_contact_id, p_channel, p_at) end
      from private.can_send(p_contact_id, p_channel, p_at) g;
end;
$$;
