-- Delivery control for the worker: claims with a lease, the send-time gate,
-- provider throttling, the sweep for orphaned sends, and the dead letters.
--
-- Claim lease: a worker claims a send (`queued|sending → sending`) with
-- `lease_until`; another delivery of the same queue message while the lease
-- runs (a slow provider call outlived the visibility timeout) is refused, so
-- two workers never call the provider for one send at the same time. A claim
-- found expired is reconciled with the provider before any new call.
--
-- Throttling: private.provider_rate_limits holds each provider's ceiling
-- (messages per second, configurable: UPDATE the row); workers take tokens
-- from a per-second window shared by every worker (private.take_send_tokens).
--
-- Dead letters: public.sending_dead_letters lists the sends that will not
-- leave (failed after retries or permanently refused by the provider,
-- cancelled by a gate) with the reason, for the UI.

alter table public.message_sends add column lease_until timestamptz;

-- ---------------------------------------------------------------- throttling

create table private.provider_rate_limits (
  provider text primary key,
  per_second integer not null,
  constraint provider_rate_limits_positive check (per_second between 1 and 100000)
);
-- Brevo's transactional API and Twilio's account-level defaults; raise them
-- with the provider's agreement (docs/sending.md).
insert into private.provider_rate_limits (provider, per_second) values ('brevo', 400), ('twilio', 100)
on conflict do nothing;

create table private.provider_rate_windows (
  provider text not null,
  second timestamptz not null,
  used integer not null default 0,
  primary key (provider, second)
);

-- Takes up to `p_want` send tokens of `p_provider` for the current second;
-- returns how many were granted (0: wait for the next second).
create or replace function private.take_send_tokens(p_provider text, p_want integer)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  lim integer;
  sec timestamptz := date_trunc('second', clock_timestamp());
  cur integer;
  granted integer;
begin
  select per_second into lim from private.provider_rate_limits where provider = p_provider;
  if lim is null then
    return p_want;
  end if;
  insert into private.provider_rate_windows (provider, second, used) values (p_provider, sec, 0) on conflict do nothing;
  select used into cur from private.provider_rate_windows where provider = p_provider and second = sec for update;
  granted := greatest(0, least(p_want, lim - cur));
  if granted > 0 then
    update private.provider_rate_windows set used = cur + granted where provider = p_provider and second = sec;
  end if;
  if random() < 0.01 then
    delete from private.provider_rate_windows where second < sec - interval '1 minute';
  end if;
  return granted;
end;
$$;

-- ---------------------------------------------------------------- the send-time gate

-- May the worker hand this send to its provider at `p_at`? allowed, or a
-- reason and, for a temporary one, when to try again (null = never).
-- Sequence sends: private.can_send (consent, windows, caps); replies in a
-- thread: private.reply_block_reason (+ the legal SMS hours); renewal
-- requests and other engine sends: can_send too. An auto-paused tenant/domain
-- holds e-mails for an hour at a time.
create or replace function private.send_gate(p_send_id uuid, p_at timestamptz)
returns table (allowed boolean, reason text, retry_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  s public.message_sends;
  c public.contacts;
  st public.tenant_sending_settings;
  r text;
  g record;
  temporary constant text[] := array['sunday', 'public_holiday', 'closed_day', 'outside_send_days', 'outside_hours',
                                     'frequency_cap', 'company_frequency_cap', 'call_attempts_exceeded', 'call_refused_recently'];
begin
  select * into s from public.message_sends where id = p_send_id;
  if not found then
    return query select false, 'send_not_found', null::timestamptz;
    return;
  end if;
  if s.channel = 'email' and private.sending_paused(s.tenant_id) then
    return query select false, 'sending_paused', p_at + interval '1 hour';
    return;
  end if;
  if s.conversation_id is not null then
    r := private.reply_block_reason(s, p_at);
    if r is not null then
      return query select false, r, null::timestamptz;
      return;
    end if;
    if s.channel in ('sms', 'whatsapp') then
      select * into c from public.contacts where tenant_id = s.tenant_id and id = s.contact_id;
      st := private.sending_settings(s.tenant_id);
      r := private.time_block_reason(s.channel, null, p_at at time zone private.recipient_timezone(c, st), st);
      if r is not null then
        -- The reply is not a new touch: the slot ignores this very send in the caps.
        return query select false, r, private.next_send_slot(s.tenant_id, s.contact_id, s.channel, p_at, null, null, s.id);
        return;
      end if;
    end if;
    return query select true, null::text, null::timestamptz;
    return;
  end if;
  select * into g from private.can_send(s.contact_id, s.channel, p_at, coalesce(s.task_kind, 'call'), s.id, s.step_id);
  if g.allowed then
    return query select true, null::text, null::timestamptz;
  elsif g.reason = any (temporary) then
    return query select false, g.reason,
      coalesce(private.next_send_slot(s.tenant_id, s.contact_id, s.channel, p_at, coalesce(s.task_kind, 'call'), s.step_id, s.id), p_at + interval '1 day');
  else
    return query select false, g.reason, null::timestamptz;
  end if;
end;
$$;

-- ---------------------------------------------------------------- sweep

-- Sends left without a queue message (a message archived while its send was
-- still open, a crash between steps that lost it) go back to the queue.
-- Only rows idle for `p_idle` and whose lease (if any) ran out; returns how many.
create or replace function private.requeue_orphan_sends(p_now timestamptz default now(), p_idle interval default interval '15 minutes')
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n integer := 0;
  q text;
  ids uuid[];
begin
  foreach q in array array['email', 'sms'] loop
    execute format($f$
      select coalesce(array_agg(ms.id), '{}') from public.message_sends ms
       where ms.status in ('queued', 'sending') and ms.channel <> 'task'
         and (case when ms.channel = 'email' then 'email' else 'sms' end) = %L
         and greatest(ms.queued_at, coalesce(ms.sending_at, ms.queued_at), coalesce(ms.lease_until, ms.queued_at)) < $1
         and ms.updated_at < $1
         and not exists (select 1 from pgmq.%I m where m.message ->> 'sendId' = ms.id::text)$f$, q, 'q_' || q)
      into ids using p_now - p_idle;
    if cardinality(ids) > 0 then
      perform pgmq.send_batch(q, array(select jsonb_build_object('type', 'send.' || ms.channel, 'sendId', ms.id)
                                         from public.message_sends ms where ms.id = any (ids)));
      n := n + cardinality(ids);
    end if;
  end loop;
  return n;
end;
$$;

-- ---------------------------------------------------------------- dead letters

create view public.sending_dead_letters with (security_invoker = on) as
  select ms.id as send_id, ms.tenant_id, ms.sequence_id, ms.step_id, ms.enrolment_id, ms.contact_id, ms.conversation_id,
         ms.channel, ms.to_address, ms.status, ms.attempts,
         case when ms.error like 'blocked:%' then 'blocked'
              when ms.error like 'suppressed:%' then 'suppressed'
              when ms.error like 'provider_unavailable%' then 'provider_unavailable'
              when ms.status = 'failed' and ms.sent_at is not null then 'bounced'
              when ms.status = 'failed' then 'provider_rejected'
              else 'cancelled' end as category,
         ms.error as reason, ms.queued_at, ms.finished_at
    from public.message_sends ms
   where ms.status in ('failed', 'cancelled');
comment on view public.sending_dead_letters is 'Sends that will not leave, with the reason (RLS of message_sends applies).';
grant select on public.sending_dead_letters to authenticated, service_role;
revoke all on public.sending_dead_letters from anon;
create index message_sends_dead_idx on public.message_sends (tenant_id, finished_at desc) where status in ('failed', 'cancelled');

revoke all on function private.take_send_tokens(text, integer), private.send_gate(uuid, timestamptz),
  private.requeue_orphan_sends(timestamptz, interval) from public, anon, authenticated;
grant execute on function private.take_send_tokens(text, integer), private.send_gate(uuid, timestamptz),
  private.requeue_orphan_sends(timestamptz, interval) to service_role;
