-- Provider events, inbound messages and public endpoints (webhooks,
-- unsubscribe, tracking): the SQL the edge functions call with the service
-- role. Every event is one row of message_events (unique by provider event
-- id, so a replay counts once), one domain event (public.events) and a
-- Realtime update (message_events, conversations and conversation_messages
-- are published).

alter publication supabase_realtime add table public.message_events;

-- ---------------------------------------------------------------- rate limits

-- Fixed-window counters for the public endpoints, keyed by endpoint and client.
create table private.rate_limits (
  key text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (key, window_start)
);

-- Counts one hit for `p_key` in the current window; true while within `p_limit`.
-- Windows older than ten of them are swept now and then.
create or replace function private.rate_limit_hit(p_key text, p_limit integer, p_window_seconds integer default 60)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  w timestamptz := to_timestamp(floor(extract(epoch from clock_timestamp()) / p_window_seconds) * p_window_seconds);
  n integer;
begin
  insert into private.rate_limits as r (key, window_start, hits) values (left(p_key, 200), w, 1)
  on conflict (key, window_start) do update set hits = r.hits + 1
  returning hits into n;
  if random() < 0.01 then
    delete from private.rate_limits where window_start < w - make_interval(secs => p_window_seconds * 10);
  end if;
  return n <= p_limit;
end;
$$;

-- ---------------------------------------------------------------- events

-- Records one provider event, once per (provider, event id); returns false for
-- a replay (or an event for nothing we know). Replaces the first version
-- (20261122040600_scheduling.sql) to add: events flagged `bot` (security
-- scanners, privacy proxies; payload.bot = true) are kept but never count as an
-- interaction (no last_activity_at, no condition, no A/B success); a reply is
-- tied to its thread; soft bounces do not suppress.
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
  bot boolean := coalesce((p_payload ->> 'bot')::boolean, false);
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
                '/contacts/' || c, jsonb_build_object('contact_id', c, 'send_id', s.id, 'conversation_id', p_payload ->> 'conversation_id'));
      end if;
    end if;
    if p_type in ('clicked', 'replied') and not bot then
      -- An active interaction (a click counts, an open does not) for the 3-year retention rule.
      update public.contacts set last_activity_at = greatest(last_activity_at, coalesce(p_occurred_at, now()))
       where tenant_id = t and id = c;
    end if;
  end if;
  perform private.emit_event(t, 'message.' || p_type::text, 'contact', c,
    jsonb_build_object('send_id', s.id, 'provider', p_provider, 'channel', s.channel, 'bot', bot));
  return true;
end;
$$;

-- ---------------------------------------------------------------- inbound messages

-- Tenants (and their contact and latest send) that wrote to a phone number,
-- newest first: who an inbound SMS/WhatsApp is from. Looks back 400 days.
create or replace function private.match_inbound_phone(p_phone text, p_channel public.send_channel)
returns table (tenant_id uuid, contact_id uuid, send_id uuid, sent_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select distinct on (ms.tenant_id) ms.tenant_id, ms.contact_id, ms.id, ms.queued_at
    from public.message_sends ms
   where ms.to_address = p_phone and ms.queued_at > now() - interval '400 days'
     and ms.contact_id is not null
     and ms.channel = case when p_channel = 'whatsapp' then 'whatsapp'::public.send_channel else 'sms'::public.send_channel end
   order by ms.tenant_id, ms.queued_at desc
$$;

-- Records an inbound message (a reply) once per (provider, provider message
-- id): finds or creates the (contact, channel) thread, adds the answered
-- outbound send first when the thread does not have it, adds the message
-- (unread, dated when received), then records the `replied` event (exit rule,
-- notification, domain event). Returns {conversation_id, message_id, duplicate}.
create or replace function private.record_inbound_message(
  p_tenant_id uuid, p_contact_id uuid, p_channel public.send_channel, p_provider text, p_provider_message_id text,
  p_in_reply_to_send uuid, p_subject text, p_text text, p_html text, p_from text, p_occurred_at timestamptz default now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  cv uuid;
  msg uuid;
  s public.message_sends;
begin
  select m.conversation_id, m.id into cv, msg from public.conversation_messages m
   where m.provider = p_provider and m.provider_message_id = p_provider_message_id and m.direction = 'in';
  if found then
    return jsonb_build_object('conversation_id', cv, 'message_id', msg, 'duplicate', true);
  end if;
  insert into public.conversations as c (tenant_id, contact_id, channel, subject)
  values (p_tenant_id, p_contact_id, p_channel, nullif(btrim(regexp_replace(coalesce(p_subject, ''), '^\s*(re|tr|fwd?)\s*:\s*', '', 'i')), ''))
  on conflict (tenant_id, contact_id, channel) do update set updated_at = c.updated_at
  returning id into cv;
  if p_in_reply_to_send is not null then
    select * into s from public.message_sends where tenant_id = p_tenant_id and id = p_in_reply_to_send;
    if found then
      insert into public.conversation_messages (tenant_id, conversation_id, direction, channel, subject, body_text, body_html,
                                                provider, provider_message_id, send_id, created_at)
      values (p_tenant_id, cv, 'out', p_channel, s.subject, coalesce(s.body, ''), private.text_to_html(s.body),
              s.provider, s.provider_message_id, s.id, coalesce(s.sent_at, s.queued_at))
      on conflict (tenant_id, conversation_id, send_id) where send_id is not null do nothing;
    end if;
  end if;
  insert into public.conversation_messages (tenant_id, conversation_id, direction, channel, subject, body_text, body_html,
                                            from_address, provider, provider_message_id, created_at)
  values (p_tenant_id, cv, 'in', p_channel, p_subject, left(coalesce(p_text, ''), 100000), p_html, p_from, p_provider,
          p_provider_message_id, now())
  on conflict (provider, provider_message_id) where provider_message_id is not null and direction = 'in' do nothing
  returning id into msg;
  if msg is null then
    return jsonb_build_object('conversation_id', cv, 'message_id', null, 'duplicate', true);
  end if;
  perform private.record_message_event(p_provider, 'reply:' || p_provider_message_id, 'replied', p_in_reply_to_send, null,
    p_occurred_at, jsonb_build_object('text', left(coalesce(p_text, ''), 500), 'conversation_id', cv, 'message_id', msg),
    p_tenant_id, p_contact_id);
  return jsonb_build_object('conversation_id', cv, 'message_id', msg, 'duplicate', false);
end;
$$;

-- ---------------------------------------------------------------- unsubscribe

-- The unsubscribe link of a send (verified by the function): suppresses every
-- address of the contact for the tenant, exits every enrolment, cancels queued
-- sends — at once — and records one `unsubscribed` event however often the
-- link is used. Returns {done, already, agency} (agency: the name to show).
create or replace function private.unsubscribe_send(p_send_id uuid, p_source text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s public.message_sends;
  agency text;
  fresh boolean;
begin
  select * into s from public.message_sends where id = p_send_id;
  if not found then
    return jsonb_build_object('done', false, 'already', false, 'agency', null);
  end if;
  select coalesce(nullif(btrim(t.display_name), ''), t.legal_name) into agency from public.tenants t where t.id = s.tenant_id;
  fresh := private.record_message_event('immo-ai', 'unsubscribe:' || s.id, 'unsubscribed', s.id, null, now(),
                                        jsonb_build_object('source', p_source), s.tenant_id, s.contact_id);
  if not fresh and s.contact_id is not null then
    -- A second click still makes sure the suppression holds (e.g. the contact was re-imported).
    perform private.suppress_contact(s.tenant_id, s.contact_id, 'unsubscribe', p_source);
  end if;
  return jsonb_build_object('done', true, 'already', not fresh, 'agency', agency);
end;
$$;

-- Opt-out received as free text or a keyword (STOP, ARRET…) from an address:
-- suppresses the contact for that tenant on every channel and records one
-- `unsubscribed` event per inbound message.
create or replace function private.opt_out_inbound(
  p_tenant_id uuid, p_contact_id uuid, p_provider text, p_provider_message_id text, p_send_id uuid, p_text text)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.suppress_contact(p_tenant_id, p_contact_id, 'stop', p_provider);
  return private.record_message_event(p_provider, 'optout:' || p_tenant_id || ':' || p_provider_message_id, 'unsubscribed', p_send_id, null,
    now(), jsonb_build_object('text', left(coalesce(p_text, ''), 500), 'keyword', true), p_tenant_id, p_contact_id);
end;
$$;

revoke all on function
  private.rate_limit_hit(text, integer, integer),
  private.match_inbound_phone(text, public.send_channel),
  private.record_inbound_message(uuid, uuid, public.send_channel, text, text, uuid, text, text, text, text, timestamptz),
  private.unsubscribe_send(uuid, text),
  private.opt_out_inbound(uuid, uuid, text, text, uuid, text)
from public, anon, authenticated;
grant execute on function
  private.rate_limit_hit(text, integer, integer),
  private.match_inbound_phone(text, public.send_channel),
  private.record_inbound_message(uuid, uuid, public.send_channel, text, text, uuid, text, text, text, text, timestamptz),
  private.unsubscribe_send(uuid, text),
  private.opt_out_inbound(uuid, uuid, text, text, uuid, text)
to service_role;
