-- Compliance gates, in one place.
--
-- `private.can_send(contact, channel, at)` answers (allowed, reason) for one
-- touch; the tick checks it before enqueueing and the worker again right
-- before calling the provider. `private.next_send_slot(tenant, contact,
-- channel, after)` is the first instant at or after `after` when the time
-- rules and frequency caps allow that touch (null when a permanent rule
-- forbids it). docs/compliance.md lists each rule, its legal source and its
-- tests (supabase/tests/database/41_compliance.sql).
--
-- Reasons: permanent — contact_not_found, do_not_contact, suppressed,
-- no_email, no_phone, opted_out, no_consent; for a while — call_attempts_exceeded,
-- call_refused_recently, sunday, public_holiday, closed_day, outside_send_days,
-- outside_hours, frequency_cap, company_frequency_cap.

-- ---------------------------------------------------------------- calendar

-- Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
create or replace function private.easter_sunday(p_year integer)
returns date
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
declare
  a int := p_year % 19;
  b int := p_year / 100;
  c int := p_year % 100;
  d int := b / 4;
  e int := b % 4;
  f int := (b + 8) / 25;
  g int := (b - f + 1) / 3;
  h int := (19 * a + b - d - g + 15) % 30;
  i int := c / 4;
  k int := c % 4;
  l int := (32 + 2 * e + 2 * i - h - k) % 7;
  m int := (a + 11 * h + 22 * l) / 451;
begin
  return make_date(p_year, (h + l - 7 * m + 114) / 31, ((h + l - 7 * m + 114) % 31) + 1);
end;
$$;

-- French public holidays (jours fériés) of a year; Alsace-Moselle adds Good Friday and 26 December.
create or replace function private.french_public_holidays(p_year integer, p_alsace_moselle boolean default false)
returns table (day date, name text)
language sql
immutable
parallel safe
set search_path = ''
as $$
  with e as (select private.easter_sunday(p_year) as easter)
  select v.day, v.name from e, lateral (values
    (make_date(p_year, 1, 1), 'Jour de l''an'),
    (e.easter + 1, 'Lundi de Pâques'),
    (make_date(p_year, 5, 1), 'Fête du Travail'),
    (make_date(p_year, 5, 8), 'Victoire 1945'),
    (e.easter + 39, 'Ascension'),
    (e.easter + 50, 'Lundi de Pentecôte'),
    (make_date(p_year, 7, 14), 'Fête nationale'),
    (make_date(p_year, 8, 15), 'Assomption'),
    (make_date(p_year, 11, 1), 'Toussaint'),
    (make_date(p_year, 11, 11), 'Armistice 1918'),
    (make_date(p_year, 12, 25), 'Noël')
  ) as v(day, name)
  union all
  select v.day, v.name from e, lateral (values
    (e.easter - 2, 'Vendredi saint'),
    (make_date(p_year, 12, 26), 'Saint-Étienne')
  ) as v(day, name)
  where p_alsace_moselle
$$;

create or replace function private.is_french_public_holiday(p_day date, p_alsace_moselle boolean default false)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select exists (select 1 from private.french_public_holidays(extract(year from p_day)::int, p_alsace_moselle) h where h.day = p_day)
$$;

-- ---------------------------------------------------------------- settings

-- The tenant's sending settings, with the defaults when the tenant has saved none,
-- and the timezone resolved (settings → tenant → Europe/Paris).
create or replace function private.sending_settings(p_tenant_id uuid)
returns public.tenant_sending_settings
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  s public.tenant_sending_settings;
  tz text;
begin
  select * into s from public.tenant_sending_settings where tenant_id = p_tenant_id;
  if not found then
    s.tenant_id := p_tenant_id;
    s.email_days := '{1,2,3,4,5}'; s.email_start := '08:00'; s.email_end := '19:00';
    s.sms_days := '{1,2,3,4,5,6}'; s.sms_start := '08:00'; s.sms_end := '20:00';
    s.closed_days := '{}'; s.alsace_moselle_holidays := false; s.frequency_cap_hours := 48;
  end if;
  if s.default_timezone is null then
    select t.timezone into tz from public.tenants t where t.id = p_tenant_id;
    s.default_timezone := coalesce(tz, 'Europe/Paris');
  end if;
  return s;
end;
$$;

-- B2B when the contact is a company, or a person identified by their company
-- (SIRET/SIREN, or company and job title): the message must then relate to
-- their profession (the sequence's responsibility, documented).
create or replace function private.contact_is_b2b(c public.contacts)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select c.kind = 'company' or c.siren is not null or c.siret is not null
      or (nullif(btrim(c.company_name), '') is not null and nullif(btrim(c.job_title), '') is not null)
$$;

-- Company key for the per-company frequency cap.
create or replace function private.contact_company_key(c public.contacts)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(c.siren, left(c.siret, 9), nullif(lower(btrim(c.company_name)), ''))
$$;

-- Recipient timezone: a known zone in contacts.custom_fields.timezone, else the tenant's.
create or replace function private.recipient_timezone(c public.contacts, s public.tenant_sending_settings)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  tz text := c.custom_fields ->> 'timezone';
begin
  if tz is not null and exists (select 1 from pg_catalog.pg_timezone_names n where n.name = tz) then
    return tz;
  end if;
  return coalesce(s.default_timezone, 'Europe/Paris');
end;
$$;

-- ---------------------------------------------------------------- time rules

-- Why a local day is closed for a channel (null when sending days allow it).
-- SMS, WhatsApp and calls: never on Sundays or public holidays (legal);
-- e-mail and visits: the tenant's days, public holidays skipped too.
create or replace function private.day_block_reason(
  p_channel public.send_channel, p_task_kind text, p_day date, s public.tenant_sending_settings, p_step_days smallint[] default null)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  dow smallint := extract(isodow from p_day)::smallint;
  legal_days smallint[];
begin
  legal_days := case
    when p_channel in ('sms', 'whatsapp') then s.sms_days
    when p_channel = 'task' and p_task_kind = 'call' then '{1,2,3,4,5}'::smallint[]
    else s.email_days end;
  if dow = 7 and (p_channel in ('sms', 'whatsapp') or (p_channel = 'task' and p_task_kind = 'call')) then
    return 'sunday';
  end if;
  if private.is_french_public_holiday(p_day, s.alsace_moselle_holidays) then
    return 'public_holiday';
  end if;
  if p_day = any (s.closed_days) then
    return 'closed_day';
  end if;
  if not (dow = any (legal_days)) or (p_step_days is not null and not (dow = any (p_step_days))) then
    return 'outside_send_days';
  end if;
  return null;
end;
$$;

-- The intervals of a sending day [start, end), local time, in order.
-- Calls to consumers: 10:00–13:00 and 14:00–20:00 (décret 2022-1313).
create or replace function private.day_intervals(
  p_channel public.send_channel, p_task_kind text, s public.tenant_sending_settings,
  p_step_start time default null, p_step_end time default null)
returns table (win_start time, win_end time)
language sql
immutable
set search_path = ''
as $$
  select greatest(i.a, coalesce(p_step_start, i.a)), least(i.b, coalesce(p_step_end, i.b))
    from (
      select s.sms_start as a, s.sms_end as b where p_channel in ('sms', 'whatsapp')
      union all select '10:00'::time, '13:00'::time where p_channel = 'task' and p_task_kind = 'call'
      union all select '14:00'::time, '20:00'::time where p_channel = 'task' and p_task_kind = 'call'
      union all select s.email_start, s.email_end where p_channel = 'email' or (p_channel = 'task' and p_task_kind is distinct from 'call')
    ) i
   where greatest(i.a, coalesce(p_step_start, i.a)) < least(i.b, coalesce(p_step_end, i.b))
   order by 1
$$;

-- Why this local instant is outside the windows (null when inside).
create or replace function private.time_block_reason(
  p_channel public.send_channel, p_task_kind text, p_local timestamp, s public.tenant_sending_settings,
  p_step_days smallint[] default null, p_step_start time default null, p_step_end time default null)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  r text := private.day_block_reason(p_channel, p_task_kind, p_local::date, s, p_step_days);
begin
  if r is not null then
    return r;
  end if;
  if not exists (select 1 from private.day_intervals(p_channel, p_task_kind, s, p_step_start, p_step_end) i
                  where p_local::time >= i.win_start and p_local::time < i.win_end) then
    return 'outside_hours';
  end if;
  return null;
end;
$$;

-- ---------------------------------------------------------------- the gate

-- Consent for a channel is recorded when the contact's status is opt_in AND the
-- latest evidence for that channel (captured no later than `at`) is an opt-in.
create or replace function private.has_recorded_consent(c public.contacts, p_channel text, p_at timestamptz)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select case p_channel
           when 'email' then c.email_consent when 'sms' then c.sms_consent
           when 'whatsapp' then c.whatsapp_consent when 'phone' then c.phone_consent end = 'opt_in'
     and coalesce((select ce.status = 'opt_in' from public.consent_evidence ce
                    where ce.tenant_id = c.tenant_id and ce.contact_id = c.id and ce.channel = p_channel and ce.captured_at <= p_at
                    order by ce.captured_at desc limit 1), false)
$$;

-- The legal and consent rules (no time rules, no caps): null when allowed.
create or replace function private.consent_block_reason(c public.contacts, p_channel public.send_channel, p_task_kind text, p_at timestamptz)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  b2b boolean := private.contact_is_b2b(c);
begin
  if c.id is null or c.deleted_at is not null then
    return 'contact_not_found';
  end if;
  if c.do_not_contact then
    return 'do_not_contact';
  end if;
  if exists (select 1 from public.suppressions sp
              where sp.tenant_id = c.tenant_id
                and ((sp.address_kind = 'email' and c.email is not null and sp.address_hash = private.address_hash('email', c.email))
                  or (sp.address_kind = 'phone' and c.phone is not null and sp.address_hash = private.address_hash('phone', c.phone)))) then
    return 'suppressed';
  end if;
  if p_channel = 'email' then
    if c.email is null then return 'no_email'; end if;
    if c.email_consent = 'opt_out' then return 'opted_out'; end if;
    -- B2C: prior consent (CPCE L.34-5); B2B: legitimate interest, opt-out honoured above.
    if not b2b and not private.has_recorded_consent(c, 'email', p_at) then return 'no_consent'; end if;
  elsif p_channel = 'sms' then
    if c.phone is null then return 'no_phone'; end if;
    if c.sms_consent = 'opt_out' then return 'opted_out'; end if;
    if not b2b and not private.has_recorded_consent(c, 'sms', p_at) then return 'no_consent'; end if;
  elsif p_channel = 'whatsapp' then
    if c.phone is null then return 'no_phone'; end if;
    if c.whatsapp_consent = 'opt_out' then return 'opted_out'; end if;
    -- WhatsApp: opt-in always (WhatsApp Business policy), B2B included.
    if not private.has_recorded_consent(c, 'whatsapp', p_at) then return 'no_consent'; end if;
  elsif p_channel = 'task' and p_task_kind = 'call' then
    if c.phone is null then return 'no_phone'; end if;
    if c.phone_consent = 'opt_out' then return 'opted_out'; end if;
    if not b2b then
      -- Loi 2025-594: from 11 August 2026 consumer phone prospecting needs prior consent.
      if p_at >= timestamptz '2026-08-11 00:00 Europe/Paris' and not private.has_recorded_consent(c, 'phone', p_at) then
        return 'no_consent';
      end if;
      -- Décret 2022-1313: at most 4 call attempts in 30 days, 60 days of silence after a refusal.
      if exists (select 1 from public.message_events me
                  where me.tenant_id = c.tenant_id and me.contact_id = c.id and me.type = 'call_refused'
                    and me.occurred_at > p_at - interval '60 days' and me.occurred_at <= p_at) then
        return 'call_refused_recently';
      end if;
      if (select count(*) from public.message_sends ms
           where ms.tenant_id = c.tenant_id and ms.contact_id = c.id and ms.task_kind = 'call'
             and ms.status not in ('failed', 'cancelled')
             and ms.queued_at > p_at - interval '30 days' and ms.queued_at <= p_at) >= 4 then
        return 'call_attempts_exceeded';
      end if;
    end if;
  end if;
  return null;
end;
$$;

-- Latest touch of the contact and of its company, other than `p_ignore_send`.
create or replace function private.last_touches(c public.contacts, p_ignore_send uuid default null)
returns table (contact_last timestamptz, company_last timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select
    (select max(ms.queued_at) from public.message_sends ms
      where ms.tenant_id = c.tenant_id and ms.contact_id = c.id
        and ms.status not in ('failed', 'cancelled') and ms.id is distinct from p_ignore_send),
    (select max(ms.queued_at) from public.message_sends ms
      where private.contact_company_key(c) is not null
        and ms.tenant_id = c.tenant_id and ms.company_key = private.contact_company_key(c)
        and ms.status not in ('failed', 'cancelled') and ms.id is distinct from p_ignore_send)
$$;

-- THE gate: may this contact be touched on this channel at this instant?
-- `p_ignore_send` leaves one ledger row out of the frequency caps (the worker
-- re-checking the send it is about to make).
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

-- The first instant at or after `p_after` when the time rules and the
-- frequency caps allow the touch, in the recipient's timezone (DST-correct:
-- local wall-clock windows are converted with AT TIME ZONE per day); null when
-- a permanent rule forbids it, or nothing opens within 400 days.
create or replace function private.next_send_slot(
  p_tenant_id uuid, p_contact_id uuid, p_channel public.send_channel, p_after timestamptz default now(),
  p_task_kind text default 'call', p_step_id uuid default null, p_ignore_send uuid default null)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c public.contacts;
  s public.tenant_sending_settings;
  st public.sequence_steps;
  tz text;
  kind text := case when p_channel = 'task' then coalesce(p_task_kind, 'call') end;
  after timestamptz := p_after;
  lt record;
  cap interval;
  local_after timestamp;
  d date;
  w record;
  cand timestamptz;
  r text;
begin
  select * into c from public.contacts where id = p_contact_id and tenant_id = p_tenant_id;
  if not found then
    return null;
  end if;
  if private.consent_block_reason(c, p_channel, kind, p_after) in
     ('contact_not_found', 'do_not_contact', 'suppressed', 'no_email', 'no_phone', 'opted_out', 'no_consent') then
    return null;
  end if;
  s := private.sending_settings(p_tenant_id);
  tz := private.recipient_timezone(c, s);
  if p_step_id is not null then
    select * into st from public.sequence_steps where id = p_step_id;
  end if;
  if not (p_channel = 'task' and kind = 'visit') then
    cap := make_interval(hours => s.frequency_cap_hours);
    select * into lt from private.last_touches(c, p_ignore_send);
    after := greatest(after, lt.contact_last + cap, lt.company_last + cap);
  end if;
  local_after := after at time zone tz;
  d := local_after::date;
  for i in 0 .. 400 loop
    if private.day_block_reason(p_channel, kind, d, s, st.window_days) is null then
      for w in select * from private.day_intervals(p_channel, kind, s, st.window_start, st.window_end) loop
        if local_after < d + w.win_end then
          cand := greatest(local_after, d + w.win_start) at time zone tz;
          -- A time skipped by a DST change maps forward; re-check it is still allowed.
          r := private.time_block_reason(p_channel, kind, cand at time zone tz, s, st.window_days, st.window_start, st.window_end);
          if r is null then
            -- The call limits may still forbid it (30-day window): move on a day when they do.
            if kind = 'call' and private.consent_block_reason(c, p_channel, kind, cand) is not null then
              exit;
            end if;
            return cand;
          end if;
        end if;
      end loop;
    end if;
    d := d + 1;
  end loop;
  return null;
end;
$$;

-- The instant `p_days` sending days after `p_from` (recipient time, same wall-clock
-- time), for step day offsets: sending days are those the channel's windows open.
create or replace function private.add_sending_days(
  p_tenant_id uuid, p_contact_id uuid, p_channel public.send_channel, p_from timestamptz, p_days integer, p_task_kind text default 'call')
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c public.contacts;
  s public.tenant_sending_settings;
  tz text;
  kind text := case when p_channel = 'task' then coalesce(p_task_kind, 'call') end;
  local_from timestamp;
  d date;
  n integer := 0;
begin
  if coalesce(p_days, 0) <= 0 then
    return p_from;
  end if;
  select * into c from public.contacts where id = p_contact_id and tenant_id = p_tenant_id;
  s := private.sending_settings(p_tenant_id);
  tz := private.recipient_timezone(c, s);
  local_from := p_from at time zone tz;
  d := local_from::date;
  while n < p_days loop
    d := d + 1;
    if private.day_block_reason(p_channel, kind, d, s) is null then
      n := n + 1;
    end if;
    exit when d > local_from::date + 800;
  end loop;
  return (d + local_from::time) at time zone tz;
end;
$$;

revoke all on function
  private.easter_sunday(integer), private.french_public_holidays(integer, boolean), private.is_french_public_holiday(date, boolean),
  private.sending_settings(uuid), private.contact_is_b2b(public.contacts), private.contact_company_key(public.contacts),
  private.recipient_timezone(public.contacts, public.tenant_sending_settings),
  private.day_block_reason(public.send_channel, text, date, public.tenant_sending_settings, smallint[]),
  private.day_intervals(public.send_channel, text, public.tenant_sending_settings, time, time),
  private.time_block_reason(public.send_channel, text, timestamp, public.tenant_sending_settings, smallint[], time, time),
  private.has_recorded_consent(public.contacts, text, timestamptz),
  private.consent_block_reason(public.contacts, public.send_channel, text, timestamptz),
  private.last_touches(public.contacts, uuid),
  private.can_send(uuid, public.send_channel, timestamptz, text, uuid, uuid),
  private.next_send_slot(uuid, uuid, public.send_channel, timestamptz, text, uuid, uuid),
  private.add_sending_days(uuid, uuid, public.send_channel, timestamptz, integer, text)
from public, anon, authenticated;
grant execute on function
  private.easter_sunday(integer), private.french_public_holidays(integer, boolean), private.is_french_public_holiday(date, boolean)
to authenticated, service_role;
grant execute on function
  private.can_send(uuid, public.send_channel, timestamptz, text, uuid, uuid),
  private.next_send_slot(uuid, uuid, public.send_channel, timestamptz, text, uuid, uuid),
  private.add_sending_days(uuid, uuid, public.send_channel, timestamptz, integer, text)
to service_role;

-- What the app shows: may the caller's tenant touch this contact now, and when next?
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
    select g.allowed, g.reason, private.next_send_slot(t, p_contact_id, p_channel, p_at)
      from private.can_send(p_contact_id, p_channel, p_at) g;
end;
$$;
revoke all on function public.contact_send_check(uuid, public.send_channel, timestamptz) from public, anon;
grant execute on function public.contact_send_check(uuid, public.send_channel, timestamptz) to authenticated, service_role;
