-- Suppressions and consent evidence.
--
-- A suppression is kept as a SHA-256 of the normalised address (lower-cased
-- e-mail, E.164 phone), never the address itself, and has no link to the
-- contact: it survives the contact's erasure, and a re-import of the same
-- address is blocked by the gate. STOP / unsubscribe suppress every address
-- of the contact on every channel of the tenant.
--
-- Consent evidence is append-only proof of what the person agreed to: the
-- text shown, when, where (source) and from which IP, per channel.

create type public.suppression_reason as enum ('unsubscribe', 'stop', 'bounce', 'complaint', 'manual', 'erasure', 'opposition_list');

create table public.suppressions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- 'email' or 'phone': the kind of address hashed.
  address_kind text not null,
  address_hash text not null,
  reason public.suppression_reason not null,
  source text,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  constraint suppressions_address_kind check (address_kind in ('email', 'phone')),
  constraint suppressions_hash_format check (address_hash ~ '^[0-9a-f]{64}$')
);
create unique index suppressions_address_key on public.suppressions (tenant_id, address_kind, address_hash);
comment on table public.suppressions is 'Hashed addresses that must never be contacted again by this tenant (kept after contact erasure).';

create table public.consent_evidence (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  contact_id uuid,
  channel text not null,
  status public.consent_status not null,
  text_shown text,
  source text not null,
  ip inet,
  user_agent text,
  captured_at timestamptz not null default now(),
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete set null (contact_id),
  constraint consent_evidence_channel check (channel in ('email', 'sms', 'whatsapp', 'phone')),
  constraint consent_evidence_opt_in_text check (status <> 'opt_in' or nullif(btrim(text_shown), '') is not null),
  constraint consent_evidence_source_length check (char_length(btrim(source)) between 1 and 200)
);
create index consent_evidence_contact_idx on public.consent_evidence (tenant_id, contact_id, channel, captured_at desc);

create trigger consent_evidence_append_only before update or delete on public.consent_evidence
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();
create trigger suppressions_protect_fields before update on public.suppressions
  for each row execute function private.protect_fields('tenant_id', 'address_kind', 'address_hash', 'created_at');

-- The hash a suppression stores for an address (normalised first).
create or replace function private.address_hash(p_kind text, p_address text)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select encode(extensions.digest(
    case p_kind when 'email' then lower(btrim(p_address)) else regexp_replace(p_address, '[\s.()-]', '', 'g') end, 'sha256'), 'hex')
$$;

-- ---------------------------------------------------------------- RLS
alter table public.suppressions enable row level security;
alter table public.consent_evidence enable row level security;
revoke all on public.suppressions, public.consent_evidence from anon;
revoke update, delete, truncate on public.consent_evidence from authenticated;

create policy suppressions_select on public.suppressions for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- Anyone in the agency may add a suppression (a prospect asked by phone); only admins lift one.
create policy suppressions_insert on public.suppressions for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy suppressions_update on public.suppressions for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy suppressions_delete on public.suppressions for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

create policy consent_evidence_select on public.consent_evidence for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy consent_evidence_insert on public.consent_evidence for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

grant execute on function private.address_hash(text, text) to authenticated, service_role;
