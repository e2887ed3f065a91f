-- The message ledger: one row per (enrolment, step) that was handed to the
-- sending queue — the idempotency key makes a doubled send impossible — and
-- the provider events on those messages (unique by provider event id, so a
-- replayed webhook counts once).
--
-- Send states: queued (row + pgmq message written in one transaction) →
-- sending (a worker claimed it and is about to call the provider; attempts
-- counts the claims) → sent (provider message id recorded) → delivered;
-- or failed (permanent provider error, or retries exhausted) / cancelled
-- (the gate refused at send time: suppressed, opted out…). A retry that finds
-- `sending` reconciles with the provider before any new call (docs/compliance.md).

create type public.send_status as enum ('queued', 'sending', 'sent', 'delivered', 'failed', 'cancelled');
create type public.message_event_type as enum (
  'delivered', 'opened', 'clicked', 'bounced', 'soft_bounced', 'complained', 'replied', 'unsubscribed', 'failed', 'call_refused');

create table public.message_sends (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  enrolment_id uuid,
  step_id uuid,
  sequence_id uuid,
  contact_id uuid,
  channel public.send_channel not null,
  -- For channel = task: 'call' or 'visit' (the call-attempt limits count calls).
  task_kind text,
  -- '<enrolment>:<step>' for sequence sends; unique across the ledger.
  idempotency_key text not null,
  variant text,
  to_address text,
  subject text,
  body text,
  -- Company key (SIREN or normalised company name) for the per-company frequency cap.
  company_key text,
  status public.send_status not null default 'queued',
  attempts integer not null default 0,
  provider text,
  provider_message_id text,
  segments integer,
  error text,
  queued_at timestamptz not null default now(),
  sending_at timestamptz,
  sent_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, enrolment_id) references public.sequence_enrolments (tenant_id, id) on delete set null (enrolment_id),
  foreign key (tenant_id, step_id) references public.sequence_steps (tenant_id, id) on delete set null (step_id),
  foreign key (tenant_id, sequence_id) references public.sequences (tenant_id, id) on delete set null (sequence_id),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete set null (contact_id),
  constraint message_sends_key_format check (char_length(idempotency_key) between 3 and 200),
  constraint message_sends_attempts check (attempts >= 0)
);
create unique index message_sends_idempotency_key on public.message_sends (idempotency_key);
create unique index message_sends_tenant_id_id_key on public.message_sends (tenant_id, id);
-- The same step of the same enrolment is never sent twice, whatever the key says.
create unique index message_sends_enrolment_step_key on public.message_sends (tenant_id, enrolment_id, step_id)
  where enrolment_id is not null and step_id is not null;
-- Frequency caps: last touches per contact and per company.
create index message_sends_contact_idx on public.message_sends (tenant_id, contact_id, queued_at desc) where contact_id is not null;
create index message_sends_company_idx on public.message_sends (tenant_id, company_key, queued_at desc) where company_key is not null;
create index message_sends_calls_idx on public.message_sends (tenant_id, contact_id, queued_at desc) where task_kind = 'call';
create index message_sends_step_idx on public.message_sends (tenant_id, step_id, variant) where step_id is not null;
create index message_sends_sequence_idx on public.message_sends (tenant_id, sequence_id, queued_at desc) where sequence_id is not null;
create index message_sends_provider_id_idx on public.message_sends (provider, provider_message_id) where provider_message_id is not null;

create table public.message_events (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  send_id uuid,
  contact_id uuid,
  type public.message_event_type not null,
  provider text not null,
  provider_event_id text not null,
  occurred_at timestamptz not null default now(),
  payload jsonb not null default '{}',
  created_at timestamptz not null default now(),
  foreign key (tenant_id, send_id) references public.message_sends (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete set null (contact_id),
  constraint message_events_payload_object check (jsonb_typeof(payload) = 'object')
);
-- Webhook idempotency: a provider event is recorded once, however often it is replayed.
create unique index message_events_provider_event_key on public.message_events (provider, provider_event_id);
create index message_events_send_idx on public.message_events (tenant_id, send_id, type) where send_id is not null;
create index message_events_contact_idx on public.message_events (tenant_id, contact_id, type, occurred_at desc) where contact_id is not null;

create trigger message_sends_updated_at before update on public.message_sends
  for each row execute function private.set_updated_at();
create trigger message_sends_protect_fields before update on public.message_sends
  for each row execute function private.protect_fields('tenant_id', 'idempotency_key', 'enrolment_id', 'step_id', 'contact_id', 'created_at');
create trigger message_events_append_only before update or delete on public.message_events
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();

-- ---------------------------------------------------------------- quotas
-- Counts every new send against its tenant's month and channel, once per
-- statement, and refuses the statement when it would exceed the plan:
-- SQLSTATE 53400, message `quota_exceeded`, detail {channel, quota, used, requested, period}.
create or replace function private.message_sends_quota()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
begin
  for r in
    with n as (
      select tenant_id, channel, date_trunc('month', queued_at at time zone 'UTC')::date as period, count(*) as cnt
        from new_rows where channel <> 'task' group by 1, 2, 3
    ), up as (
      insert into private.send_usage as u (tenant_id, period, channel, sent)
      select tenant_id, period, channel, cnt from n
      on conflict (tenant_id, period, channel) do update set sent = u.sent + excluded.sent
      returning u.tenant_id, u.period, u.channel, u.sent
    )
    select up.*, n.cnt, private.plan_send_quota(t.plan, up.channel) as quota
      from up join n using (tenant_id, period, channel) join public.tenants t on t.id = up.tenant_id
  loop
    if r.quota is not null and r.sent > r.quota then
      raise exception using errcode = '53400', message = 'quota_exceeded',
        detail = jsonb_build_object('channel', r.channel, 'quota', r.quota, 'used', r.sent - r.cnt,
                                    'requested', r.cnt, 'period', r.period)::text,
        hint = 'the plan''s monthly sending quota is reached';
    end if;
  end loop;
  return null;
end;
$$;
create trigger message_sends_quota after insert on public.message_sends
  referencing new table as new_rows for each statement execute function private.message_sends_quota();

-- ---------------------------------------------------------------- RLS
-- Members read the ledger and events; only the engine (service role) writes.
alter table public.message_sends enable row level security;
alter table public.message_events enable row level security;
revoke all on public.message_sends, public.message_events from anon;
revoke insert, update, delete, truncate on public.message_sends, public.message_events from authenticated;

create policy message_sends_select on public.message_sends for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy message_events_select on public.message_events for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

alter publication supabase_realtime add table public.message_sends;
