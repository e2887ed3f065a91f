-- The tick's speed (bench/sending.ts: 50,000 due enrolments in one tick).
--
-- 1. French public holidays become a lookup: the days of 1990–2200 are
--    computed once by the same rules (private.french_public_holidays, Easter
--    included) into private.french_holiday_days, and
--    private.is_french_public_holiday reads it (an index probe instead of
--    recomputing Easter and the year's list at every call: the gate and the
--    day-offset arithmetic ask for each enrolment and each day they walk).
--    Dates outside the table fall back to the computation.
-- 2. The tick analyses its work table (see below).

create table private.french_holiday_days (
  day date not null,
  -- true: only in Alsace-Moselle (Good Friday, 26 December).
  alsace_moselle_only boolean not null,
  name text not null,
  primary key (day, alsace_moselle_only)
);
insert into private.french_holiday_days (day, alsace_moselle_only, name)
select h.day, h.name in ('Vendredi saint', 'Saint-Étienne'), h.name
  from generate_series(1990, 2200) y cross join lateral private.french_public_holidays(y, true) h
on conflict do nothing;

create or replace function private.is_french_public_holiday(p_day date, p_alsace_moselle boolean default false)
returns boolean
language sql
stable
security definer
parallel safe
set search_path = ''
as $$
  select case when p_day between date '1990-01-01' and date '2200-12-31'
    then exists (select 1 from private.french_holiday_days h where h.day = p_day and (p_alsace_moselle or not h.alsace_moselle_only))
    else exists (select 1 from private.french_public_holidays(extract(year from p_day)::int, p_alsace_moselle) h where h.day = p_day) end
$$;
revoke all on function private.is_french_public_holiday(date, boolean) from public, anon;
grant execute on function private.is_french_public_holiday(date, boolean) to authenticated, service_role;

-- Known timezone names, for the recipient's timezone: pg_timezone_names reads
-- the whole zone database at each query (tens of milliseconds), and the gate
-- asked it for every contact carrying a timezone. Names are kept in a table
-- filled from it (refresh with private.refresh_timezone_names() after a tzdata
-- update; a name missing from it falls back to the tenant's timezone).
create table private.timezone_names (name text primary key);
create or replace function private.refresh_timezone_names()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  insert into private.timezone_names (name) select distinct z.name from pg_catalog.pg_timezone_names z on conflict do nothing;
  get diagnostics n = row_count;
  return n;
end;
$$;
select private.refresh_timezone_names();
revoke all on function private.refresh_timezone_names() from public, anon, authenticated;
grant execute on function private.refresh_timezone_names() to service_role;

create or replace function private.recipient_timezone(c public.contacts, s public.tenant_sending_settings)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  tz text := c.custom_fields ->> 'timezone';
begin
  if tz is not null and exists (select 1 from private.timezone_names n where n.name = tz) then
    return tz;
  end if;
  return coalesce(s.default_timezone, 'Europe/Paris');
end;
$$;

-- Helpers of the gate as PL/pgSQL (plans cached per session) instead of SQL
-- functions that cannot be inlined where they are called and were planned
-- again at every call (~0.5–3 ms each, several per enrolment). Same results.
create or replace function private.contact_company_key(c public.contacts)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return coalesce(c.siren, left(c.siret, 9), nullif(lower(btrim(c.company_name)), ''));
end;
$$;

create or replace function private.last_touches(c public.contacts, p_ignore_send uuid default null)
returns table (contact_last timestamptz, company_last timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  k text := private.contact_company_key(c);
begin
  select max(ms.queued_at) into contact_last from public.message_sends ms
   where ms.tenant_id = c.tenant_id and ms.contact_id = c.id
     and ms.status not in ('failed', 'cancelled') and ms.id is distinct from p_ignore_send;
  if k is not null then
    select max(ms.queued_at) into company_last from public.message_sends ms
     where ms.tenant_id = c.tenant_id and ms.company_key = k
       and ms.status not in ('failed', 'cancelled') and ms.id is distinct from p_ignore_send;
  end if;
  return next;
end;
$$;

create or replace function private.day_intervals(
  p_channel public.send_channel, p_task_kind text, s public.tenant_sending_settings,
  p_step_start time default null, p_step_end time default null)
returns table (win_start time, win_end time)
language plpgsql
immutable
set search_path = ''
as $$
declare
  bounds time[];
  i integer;
begin
  bounds := case
    when p_channel in ('sms', 'whatsapp') then array[s.sms_start, s.sms_end]
    when p_channel = 'task' and p_task_kind = 'call' then array['10:00'::time, '13:00'::time, '14:00'::time, '20:00'::time]
    else array[s.email_start, s.email_end] end;
  for i in 1 .. cardinality(bounds) by 2 loop
    win_start := greatest(bounds[i], coalesce(p_step_start, bounds[i]));
    win_end := least(bounds[i + 1], coalesce(p_step_end, bounds[i + 1]));
    if win_start < win_end then
      return next;
    end if;
  end loop;
end;
$$;

-- The tick (first version in 20261122040600_scheduling.sql), unchanged but for
-- `analyze` of its work table: Postgres never analyses temporary tables by
-- itself, and without statistics the planner ran the gate and rendering steps
-- as nested loops over the work table joined to itself.
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

revoke all on function private.enqueue_due_steps(integer, timestamptz) from public, anon, authenticated;
grant execute on function private.enqueue_due_steps(integer, timestamptz) to service_role;
