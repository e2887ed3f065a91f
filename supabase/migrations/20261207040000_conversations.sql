-- Conversations for the inbox: one thread per (contact, channel) of a tenant,
-- and its messages in both directions.
--
-- Who writes what:
-- - inbound messages (Brevo inbound parsing, Twilio inbound SMS/WhatsApp) are
--   written by the webhooks (service role) through private.record_inbound_message
--   (20261207040100_sending_events.sql); a thread starts with the outbound send
--   the contact answered, then the answer;
-- - a manual reply from the inbox goes through public.send_conversation_reply:
--   it writes a ledger row (message_sends, same idempotency, quota and gate rules
--   as sequence sends) and its pgmq message, then the outbound thread message;
-- - members update a thread's status (open / handled / snoozed), assignee and
--   unread count (mark as read); nobody edits or deletes messages through the API.
-- docs/sending.md documents every column.

create type public.conversation_status as enum ('open', 'handled', 'snoozed');
create type public.message_direction as enum ('in', 'out');

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  contact_id uuid not null,
  channel public.send_channel not null,
  status public.conversation_status not null default 'open',
  snoozed_until timestamptz,
  assigned_user_id uuid references auth.users (id) on delete set null,
  subject text,
  last_message_at timestamptz,
  last_message_preview text,
  last_direction public.message_direction,
  unread_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  constraint conversations_channel check (channel in ('email', 'sms', 'whatsapp')),
  constraint conversations_snooze check ((status = 'snoozed') = (snoozed_until is not null)),
  constraint conversations_unread check (unread_count >= 0),
  constraint conversations_preview_length check (last_message_preview is null or char_length(last_message_preview) <= 280)
);
-- One thread per contact and channel.
create unique index conversations_contact_channel_key on public.conversations (tenant_id, contact_id, channel);
create unique index conversations_tenant_id_id_key on public.conversations (tenant_id, id);
-- The inbox list: a tenant's threads by status, newest first (keyset on last_message_at, id).
create index conversations_tenant_status_idx on public.conversations (tenant_id, status, last_message_at desc nulls last, id);
create index conversations_assigned_idx on public.conversations (assigned_user_id, status) where assigned_user_id is not null;

create table public.conversation_messages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  conversation_id uuid not null,
  direction public.message_direction not null,
  channel public.send_channel not null,
  subject text,
  body_text text not null default '',
  -- Safe to render: built by the server from an allow-list (no attribute, no script, no link target).
  body_html text,
  from_address text,
  provider text,
  provider_message_id text,
  -- The ledger row of an outbound message (sequence send or manual reply).
  send_id uuid,
  -- The member who wrote a manual reply.
  author_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  foreign key (tenant_id, conversation_id) references public.conversations (tenant_id, id) on delete cascade,
  foreign key (tenant_id, send_id) references public.message_sends (tenant_id, id) on delete set null (send_id),
  constraint conversation_messages_channel check (channel in ('email', 'sms', 'whatsapp')),
  constraint conversation_messages_body_length check (char_length(body_text) <= 100000 and (body_html is null or char_length(body_html) <= 200000))
);
create index conversation_messages_thread_idx on public.conversation_messages (tenant_id, conversation_id, created_at, id);
create index conversation_messages_send_idx on public.conversation_messages (tenant_id, send_id) where send_id is not null;
create index conversation_messages_author_idx on public.conversation_messages (author_id) where author_id is not null;
-- An inbound message is recorded once, however often the provider replays it.
create unique index conversation_messages_provider_key on public.conversation_messages (provider, provider_message_id)
  where provider_message_id is not null and direction = 'in';
-- A ledger row appears once in a thread.
create unique index conversation_messages_send_key on public.conversation_messages (tenant_id, conversation_id, send_id) where send_id is not null;

-- Manual replies are ledger rows too: they carry their thread.
alter table public.message_sends add column conversation_id uuid;
alter table public.message_sends add constraint message_sends_conversation_fk
  foreign key (tenant_id, conversation_id) references public.conversations (tenant_id, id) on delete set null (conversation_id);
create index message_sends_conversation_idx on public.message_sends (tenant_id, conversation_id) where conversation_id is not null;
-- Inbound SMS/WhatsApp are matched to the tenant and contact that last wrote to the number.
create index message_sends_to_address_idx on public.message_sends (to_address, queued_at desc) where to_address is not null;

create trigger conversations_updated_at before update on public.conversations
  for each row execute function private.set_updated_at();
create trigger conversations_protect_fields before update on public.conversations
  for each row execute function private.protect_fields('tenant_id', 'contact_id', 'channel', 'created_at');
create trigger conversation_messages_append_only before update or delete on public.conversation_messages
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();

-- A new message moves its thread: last message, preview, unread count (inbound),
-- and an inbound message re-opens a handled or snoozed thread.
create or replace function private.conversation_messages_touch()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.conversations c
     set last_message_at = greatest(coalesce(c.last_message_at, new.created_at), new.created_at),
         last_message_preview = case when c.last_message_at is null or new.created_at >= c.last_message_at
                                     then left(regexp_replace(btrim(new.body_text), '\s+', ' ', 'g'), 280) else c.last_message_preview end,
         last_direction = case when c.last_message_at is null or new.created_at >= c.last_message_at then new.direction else c.last_direction end,
         unread_count = c.unread_count + case when new.direction = 'in' then 1 else 0 end,
         status = case when new.direction = 'in' then 'open' else c.status end,
         snoozed_until = case when new.direction = 'in' then null else c.snoozed_until end,
         subject = coalesce(c.subject, nullif(btrim(new.subject), ''))
   where c.tenant_id = new.tenant_id and c.id = new.conversation_id;
  return null;
end;
$$;
create trigger conversation_messages_touch after insert on public.conversation_messages
  for each row execute function private.conversation_messages_touch();

-- ---------------------------------------------------------------- RLS
alter table public.conversations enable row level security;
alter table public.conversation_messages enable row level security;
revoke all on public.conversations, public.conversation_messages from anon;
-- Threads are created by the engine; members change status, assignee and unread count only.
revoke insert, delete, truncate on public.conversations from authenticated;
revoke update on public.conversations from authenticated;
grant update (status, snoozed_until, assigned_user_id, unread_count) on public.conversations to authenticated;
revoke insert, update, delete, truncate on public.conversation_messages from authenticated;

create policy conversations_select on public.conversations for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy conversations_update on public.conversations for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy conversation_messages_select on public.conversation_messages for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

alter publication supabase_realtime add table public.conversations, public.conversation_messages;

-- ---------------------------------------------------------------- HTML

-- Plain text as safe HTML: escaped, line breaks kept.
create or replace function private.text_to_html(p_text text)
returns text
language sql
immutable
set search_path = ''
as $$
  select '<p>' || replace(replace(replace(replace(replace(coalesce(p_text, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'),
                          e'\n', '<br>') || '</p>'
$$;

-- ---------------------------------------------------------------- the reply RPC

-- Gate for a reply inside a thread the contact started: the consent rules
-- (suppression, opt-out, do-not-contact, recorded consent) always apply, the
-- legal SMS/WhatsApp hours too (the send waits for them); the cross-sequence
-- frequency cap and the tenant's prospecting e-mail hours do not (an answer is
-- not a new touch). WhatsApp free text only inside the 24 h customer window.
create or replace function private.reply_block_reason(p_send public.message_sends, p_at timestamptz)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c public.contacts;
  r text;
begin
  select * into c from public.contacts where tenant_id = p_send.tenant_id and id = p_send.contact_id;
  r := private.consent_block_reason(c, p_send.channel, null, p_at);
  if r is not null then
    return r;
  end if;
  if p_send.channel = 'whatsapp' and not exists (
       select 1 from public.conversation_messages m
        where m.tenant_id = p_send.tenant_id and m.conversation_id = p_send.conversation_id
          and m.direction = 'in' and m.created_at > p_at - interval '24 hours') then
    return 'whatsapp_window_closed';
  end if;
  return null;
end;
$$;

-- Sends a reply in a thread, as the caller (agent or above). The text is the
-- body (a subject for e-mail defaults to "Re: <thread subject>"). p_client_key
-- makes a retried call a no-op (the first result is returned). Raises
-- `send_blocked` (55000, detail {reason}) when a consent rule forbids it,
-- `quota_exceeded` (53400) when the plan's month is used up.
create or replace function public.send_conversation_reply(
  p_conversation_id uuid, p_body text, p_subject text default null, p_client_key text default null)
returns public.conversation_messages
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  cv public.conversations;
  c public.contacts;
  s public.message_sends;
  m public.conversation_messages;
  key text;
  r text;
  st public.tenant_sending_settings;
  delay integer := 0;
  slot timestamptz;
begin
  select * into cv from public.conversations where id = p_conversation_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'conversation_not_found';
  end if;
  perform private.require_role(cv.tenant_id, 'agent');
  if p_body is null or char_length(btrim(p_body)) = 0 or char_length(p_body) > 10000 then
    raise exception using errcode = '22023', message = 'invalid_body', detail = jsonb_build_object('field', 'body')::text;
  end if;
  if p_client_key is not null and p_client_key !~ '^[A-Za-z0-9_-]{8,100}$' then
    raise exception using errcode = '22023', message = 'invalid_client_key', detail = jsonb_build_object('field', 'client_key')::text;
  end if;
  key := 'reply:' || cv.id || ':' || coalesce(p_client_key, gen_random_uuid()::text);

  select * into s from public.message_sends where idempotency_key = key;
  if found then
    select * into m from public.conversation_messages where tenant_id = cv.tenant_id and send_id = s.id;
    return m;
  end if;

  select * into c from public.contacts where tenant_id = cv.tenant_id and id = cv.contact_id;
  s.id := gen_random_uuid();
  s.tenant_id := cv.tenant_id;
  s.contact_id := cv.contact_id;
  s.channel := cv.channel;
  s.conversation_id := cv.id;
  r := private.reply_block_reason(s, now());
  if r is not null then
    raise exception using errcode = '55000', message = 'send_blocked', detail = jsonb_build_object('reason', r)::text;
  end if;

  insert into public.message_sends (id, tenant_id, contact_id, channel, idempotency_key, to_address, subject, body, company_key,
                                    conversation_id, status)
  values (s.id, cv.tenant_id, cv.contact_id, cv.channel, key,
          case when cv.channel = 'email' then c.email else c.phone end,
          case when cv.channel = 'email' then coalesce(nullif(btrim(p_subject), ''),
                 case when cv.subject is null then 'Re:' when cv.subject ~* '^re\s*:' then cv.subject else 'Re: ' || cv.subject end) end,
          p_body, private.contact_company_key(c), cv.id, 'queued')
  returning * into s;

  -- SMS and WhatsApp wait for the legal hours.
  if cv.channel in ('sms', 'whatsapp') then
    st := private.sending_settings(cv.tenant_id);
    if private.time_block_reason(cv.channel, null, now() at time zone private.recipient_timezone(c, st), st) is not null then
      slot := private.next_send_slot(cv.tenant_id, cv.contact_id, cv.channel, now(), null, null, s.id);
      delay := greatest(0, ceil(extract(epoch from (coalesce(slot, now()) - now())))::integer);
    end if;
  end if;
  perform pgmq.send(case when cv.channel = 'email' then 'email' else 'sms' end,
                    jsonb_build_object('type', 'send.' || cv.channel, 'sendId', s.id), delay);

  insert into public.conversation_messages (tenant_id, conversation_id, direction, channel, subject, body_text, body_html, send_id, author_id)
  values (cv.tenant_id, cv.id, 'out', cv.channel, s.subject, p_body, private.text_to_html(p_body), s.id, (select auth.uid()))
  returning * into m;
  update public.conversations set unread_count = 0 where id = cv.id;
  perform private.emit_event(cv.tenant_id, 'message.reply_queued', 'contact', cv.contact_id,
                             jsonb_build_object('send_id', s.id, 'conversation_id', cv.id, 'channel', cv.channel));
  return m;
end;
$$;

-- Marks a thread read (unread_count = 0); members may also PATCH the row.
create or replace function public.mark_conversation_read(p_conversation_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  t uuid;
begin
  select tenant_id into t from public.conversations where id = p_conversation_id;
  if t is null then
    raise exception using errcode = 'P0002', message = 'conversation_not_found';
  end if;
  perform private.require_role(t, 'assistant');
  update public.conversations set unread_count = 0 where id = p_conversation_id and unread_count <> 0;
end;
$$;

revoke all on function private.conversation_messages_touch(), private.text_to_html(text),
  private.reply_block_reason(public.message_sends, timestamptz) from public, anon, authenticated;
grant execute on function private.text_to_html(text), private.reply_block_reason(public.message_sends, timestamptz) to service_role;
revoke all on function public.send_conversation_reply(uuid, text, text, text), public.mark_conversation_read(uuid) from public, anon;
grant execute on function public.send_conversation_reply(uuid, text, text, text), public.mark_conversation_read(uuid) to authenticated, service_role;
