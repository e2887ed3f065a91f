-- Sending settings per tenant: sender identity, legal footer, the tenant's own
-- send windows (which may only narrow the legal ones), closure days, the
-- cross-sequence frequency cap, and the plan quotas for e-mail and SMS.
-- The legal windows themselves live in the compliance functions
-- (20261122040500_compliance.sql), never in data a tenant can edit.

create type public.send_channel as enum ('email', 'sms', 'whatsapp', 'task');
comment on type public.send_channel is 'Channels a sequence step uses; task = a manual call or visit for an agent.';

create table public.tenant_sending_settings (
  tenant_id uuid primary key references public.tenants (id) on delete cascade,
  -- Recipient timezone when the contact has none (custom_fields.timezone); null = the tenant's timezone.
  default_timezone text,
  sender_name text,
  sender_email text,
  reply_to_email text,
  -- Alphanumeric SMS sender (3–11 chars) or a short code; never a French mobile number.
  sms_sender_id text,
  -- The agency's legal identity, printed in every e-mail footer (name, address, RCS/SIRET, carte T).
  legal_footer text,
  -- ISO days (1 = Monday … 7 = Sunday) and hours, in recipient time.
  email_days smallint[] not null default '{1,2,3,4,5}',
  email_start time not null default '08:00',
  email_end time not null default '19:00',
  sms_days smallint[] not null default '{1,2,3,4,5,6}',
  sms_start time not null default '08:00',
  sms_end time not null default '20:00',
  -- Days the agency does not send (summer closure, …), in recipient time.
  closed_days date[] not null default '{}',
  -- Alsace-Moselle extra public holidays (Good Friday, 26 December).
  alsace_moselle_holidays boolean not null default false,
  -- At most one touch per contact, and per company, within this many hours, across all sequences.
  frequency_cap_hours integer not null default 48,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenant_sending_settings_email_days check (email_days <@ '{1,2,3,4,5,6,7}'::smallint[] and cardinality(email_days) > 0),
  constraint tenant_sending_settings_email_hours check (email_start < email_end),
  -- Tenants may only narrow the legal SMS window: Monday–Saturday, 08:00–20:00.
  constraint tenant_sending_settings_sms_days check (sms_days <@ '{1,2,3,4,5,6}'::smallint[] and cardinality(sms_days) > 0),
  constraint tenant_sending_settings_sms_hours check (sms_start >= '08:00' and sms_end <= '20:00' and sms_start < sms_end),
  constraint tenant_sending_settings_frequency_cap check (frequency_cap_hours between 48 and 2160),
  constraint tenant_sending_settings_sender_email check (sender_email is null or sender_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint tenant_sending_settings_reply_to check (reply_to_email is null or reply_to_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint tenant_sending_settings_sms_sender check (
    sms_sender_id is null
    or (sms_sender_id ~ '^[A-Za-z0-9 ]{3,11}$' and sms_sender_id ~ '[A-Za-z]')
    or sms_sender_id ~ '^[0-9]{5}$'),
  constraint tenant_sending_settings_timezone check (default_timezone is null or default_timezone ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$'),
  constraint tenant_sending_settings_footer_length check (legal_footer is null or char_length(legal_footer) <= 2000)
);
comment on table public.tenant_sending_settings is
  'Sender identity and the tenant''s own send windows. SMS windows may only narrow the legal Mon–Sat 08:00–20:00; the frequency cap may only be raised above 48 h.';

create trigger tenant_sending_settings_updated_at before update on public.tenant_sending_settings
  for each row execute function private.set_updated_at();
create trigger tenant_sending_settings_protect_fields before update on public.tenant_sending_settings
  for each row execute function private.protect_fields('tenant_id', 'created_at');

alter table public.tenant_sending_settings enable row level security;
revoke all on public.tenant_sending_settings from anon;

create policy tenant_sending_settings_select on public.tenant_sending_settings for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy tenant_sending_settings_insert on public.tenant_sending_settings for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_sending_settings_update on public.tenant_sending_settings for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_sending_settings_delete on public.tenant_sending_settings for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

-- ---------------------------------------------------------------- quotas

-- Messages per calendar month (UTC) the plan includes; null = unlimited.
create or replace function private.plan_send_quota(p_plan public.tenant_plan, p_channel public.send_channel)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case p_channel
    when 'email' then case p_plan when 'trial' then 500 when 'starter' then 5000 when 'pro' then 50000 else null end
    when 'sms' then case p_plan when 'trial' then 50 when 'starter' then 500 when 'pro' then 5000 else null end
    when 'whatsapp' then case p_plan when 'trial' then 50 when 'starter' then 500 when 'pro' then 5000 else null end
    else null
  end
$$;

-- Sends counted per tenant, month and channel; maintained by the ledger's
-- statement trigger (20261122040300_message_ledger.sql), which raises
-- `quota_exceeded` when an insert would go over the plan.
create table private.send_usage (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  period date not null,
  channel public.send_channel not null,
  sent bigint not null default 0,
  primary key (tenant_id, period, channel)
);

grant execute on function private.plan_send_quota(public.tenant_plan, public.send_channel) to authenticated, service_role;
