-- Tenancy: an agency is a tenant; staff are tenant members with a role;
-- invitations bring new members in. Role helpers for every policy live here.

create type public.tenant_role as enum ('assistant', 'agent', 'admin', 'owner');
comment on type public.tenant_role is 'Ordered: assistant < agent < admin < owner; compare with >=.';
create type public.tenant_plan as enum ('trial', 'starter', 'pro', 'enterprise');
create type public.agency_specialisation as enum ('residential', 'commercial', 'luxury', 'rental');

-- ---------------------------------------------------------------- tables

create table public.tenants (
  id uuid primary key default gen_random_uuid(),
  slug text not null,
  legal_name text not null,
  display_name text,
  siret text,
  address_line text,
  postal_code text,
  city text,
  country text not null default 'FR',
  specialisations public.agency_specialisation[] not null default '{}',
  property_types text[] not null default '{}',
  geographic_zones text[] not null default '{}',
  team_size integer,
  current_tools text[] not null default '{}',
  locale text not null default 'fr-FR',
  timezone text not null default 'Europe/Paris',
  logo_path text,
  primary_color text,
  plan public.tenant_plan not null default 'trial',
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- a DNS label of its own, not one the platform uses
  constraint tenants_slug_format check (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$' and slug !~ '--'),
  constraint tenants_slug_reserved check (slug not in ('www', 'app', 'api', 'admin', 'auth', 'mail', 'static', 'assets', 'portal', 'support', 'status', 'docs', 'blog')),
  constraint tenants_legal_name_length check (char_length(btrim(legal_name)) between 2 and 200),
  constraint tenants_siret_valid check (siret is null or private.is_valid_siret(siret)),
  constraint tenants_postal_code_format check (postal_code is null or postal_code ~ '^[0-9]{5}$'),
  constraint tenants_country_format check (country ~ '^[A-Z]{2}$'),
  constraint tenants_team_size_range check (team_size is null or team_size between 1 and 10000),
  constraint tenants_locale_format check (locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  constraint tenants_timezone_known check (timezone ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$'),
  constraint tenants_primary_color_format check (primary_color is null or primary_color ~ '^#[0-9a-fA-F]{6}$')
);
create unique index tenants_slug_key on public.tenants (slug);
comment on table public.tenants is 'An agency. slug is its portal subdomain.';

create table public.tenant_members (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.tenant_role not null default 'agent',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
-- The role helpers look members up by user first.
create index tenant_members_user_id_idx on public.tenant_members (user_id, tenant_id, role);
-- At most one owner per tenant.
create unique index tenant_members_one_owner on public.tenant_members (tenant_id) where role = 'owner';

create table public.tenant_invitations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  email text not null,
  role public.tenant_role not null default 'agent',
  token_hash text not null,
  invited_by uuid default auth.uid() references auth.users (id) on delete set null,
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenant_invitations_email_normalized check (email = private.normalize_email(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint tenant_invitations_not_owner check (role <> 'owner'),
  constraint tenant_invitations_token_hash_format check (token_hash ~ '^[0-9a-f]{64}$')
);
create unique index tenant_invitations_token_hash_key on public.tenant_invitations (token_hash);
create index tenant_invitations_tenant_id_idx on public.tenant_invitations (tenant_id, created_at desc);
create index tenant_invitations_invited_by_idx on public.tenant_invitations (invited_by) where invited_by is not null;
create index tenant_invitations_accepted_by_idx on public.tenant_invitations (accepted_by) where accepted_by is not null;
-- One pending invitation per address and tenant.
create unique index tenant_invitations_pending_key on public.tenant_invitations (tenant_id, email) where accepted_at is null;

-- ---------------------------------------------------------------- role helpers
-- security definer so policies on tenant_members can call them without
-- recursing into tenant_members' own policies; stable and always wrapped in a
-- sub-select so they run once per statement. Policies use
--   tenant_id = any (array(select private.tenant_ids_with_role('agent')))
-- rather than `tenant_id in (select …)`: both run the helper once, but the
-- array form is an InitPlan the planner turns into an index condition, while
-- IN becomes a hashed SubPlan probed for every row (2-3x slower on counts).

create or replace function private.tenant_ids_with_role(min_role public.tenant_role default 'assistant')
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- plpgsql rather than sql: a non-inlinable SQL function is re-planned on every
  -- call, a plpgsql one keeps its plan for the session (one call per statement).
  return query
    select tm.tenant_id
    from public.tenant_members tm
    where tm.user_id = (select auth.uid())
      and tm.role >= min_role;
end;
$$;

create or replace function private.has_role_on_tenant(p_tenant_id uuid, min_role public.tenant_role default 'assistant')
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.tenant_members tm
    where tm.user_id = (select auth.uid())
      and tm.tenant_id = p_tenant_id
      and tm.role >= min_role
  )
$$;

-- Raises insufficient_privilege unless the caller has min_role on the tenant.
create or replace function private.require_role(p_tenant_id uuid, min_role public.tenant_role)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'not_authenticated';
  end if;
  if not private.has_role_on_tenant(p_tenant_id, min_role) then
    raise exception using
      errcode = '42501',
      message = 'insufficient_role',
      detail = jsonb_build_object('tenant_id', p_tenant_id, 'required_role', min_role)::text;
  end if;
end;
$$;

revoke all on function private.tenant_ids_with_role(public.tenant_role), private.has_role_on_tenant(uuid, public.tenant_role),
  private.require_role(uuid, public.tenant_role) from public, anon;
grant execute on function private.tenant_ids_with_role(public.tenant_role), private.has_role_on_tenant(uuid, public.tenant_role),
  private.require_role(uuid, public.tenant_role) to authenticated, service_role;

-- ---------------------------------------------------------------- triggers

create trigger tenants_updated_at before update on public.tenants
  for each row execute function private.set_updated_at();
create trigger tenants_protect_fields before update on public.tenants
  for each row execute function private.protect_fields('id', 'created_by', 'plan');

create trigger tenant_members_updated_at before update on public.tenant_members
  for each row execute function private.set_updated_at();
create trigger tenant_members_protect_fields before update on public.tenant_members
  for each row execute function private.protect_fields('tenant_id', 'user_id');

create trigger tenant_invitations_updated_at before update on public.tenant_invitations
  for each row execute function private.set_updated_at();
create trigger tenant_invitations_protect_fields before update on public.tenant_invitations
  for each row execute function private.protect_fields('tenant_id', 'email', 'role', 'token_hash', 'invited_by', 'accepted_at', 'accepted_by');

-- Normalise invitation e-mails before the check constraint sees them.
create or replace function private.normalize_invitation()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.email := private.normalize_email(new.email);
  return new;
end;
$$;
create trigger tenant_invitations_normalize before insert on public.tenant_invitations
  for each row execute function private.normalize_invitation();

-- ---------------------------------------------------------------- RLS

alter table public.tenants enable row level security;
alter table public.tenant_members enable row level security;
alter table public.tenant_invitations enable row level security;

revoke all on public.tenants, public.tenant_members, public.tenant_invitations from anon;
-- Tenants are created through create_tenant(); members join through invitations.
revoke insert on public.tenants, public.tenant_members from authenticated;
-- Columns only the platform (billing) changes.
revoke update on public.tenants from authenticated;
grant update (slug, legal_name, display_name, siret, address_line, postal_code, city, country, specialisations,
  property_types, geographic_zones, team_size, current_tools, locale, timezone, logo_path, primary_color)
  on public.tenants to authenticated;

create policy tenants_select on public.tenants for select to authenticated
  using (id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy tenants_update on public.tenants for update to authenticated
  using (id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenants_delete on public.tenants for delete to authenticated
  using (id = any (array(select private.tenant_ids_with_role('owner'))));

create policy tenant_members_select on public.tenant_members for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- Admins change roles of non-owners, never to owner (transfer_ownership does that).
create policy tenant_members_update on public.tenant_members for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))) and role <> 'owner')
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))) and role <> 'owner');
-- Admins remove non-owners; anyone but the owner may remove themselves.
create policy tenant_members_delete on public.tenant_members for delete to authenticated
  using (role <> 'owner' and (tenant_id = any (array(select private.tenant_ids_with_role('admin'))) or user_id = (select auth.uid())));

create policy tenant_invitations_select on public.tenant_invitations for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_invitations_insert on public.tenant_invitations for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_invitations_update on public.tenant_invitations for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_invitations_delete on public.tenant_invitations for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

-- ---------------------------------------------------------------- RPCs

-- Creates an agency and makes the caller its owner.
create or replace function public.create_tenant(
  p_slug text,
  p_legal_name text,
  p_siret text default null,
  p_timezone text default 'Europe/Paris',
  p_locale text default 'fr-FR'
)
returns public.tenants
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  t public.tenants;
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'not_authenticated';
  end if;
  if p_siret is not null and not private.is_valid_siret(p_siret) then
    raise exception using errcode = '23514', message = 'invalid_siret',
      detail = jsonb_build_object('field', 'siret', 'reason', case when p_siret ~ '^[0-9]{14}$' then 'checksum' else 'format' end)::text;
  end if;
  if exists (select 1 from public.tenants where slug = lower(btrim(p_slug))) then
    raise exception using errcode = '23505', message = 'slug_taken', detail = jsonb_build_object('field', 'slug')::text;
  end if;
  insert into public.tenants (slug, legal_name, siret, timezone, locale, created_by)
  values (lower(btrim(p_slug)), btrim(p_legal_name), p_siret, p_timezone, p_locale, uid)
  returning * into t;
  insert into public.tenant_members (tenant_id, user_id, role) values (t.id, uid, 'owner');
  return t;
end;
$$;

-- Creates an invitation and returns the clear token once; only its hash is kept.
create or replace function public.create_invitation(p_tenant_id uuid, p_email text, p_role public.tenant_role default 'agent')
returns table (invitation_id uuid, token text, expires_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  clear text := encode(extensions.gen_random_bytes(32), 'hex');
  inv public.tenant_invitations;
begin
  perform private.require_role(p_tenant_id, 'admin');
  if p_role = 'owner' then
    raise exception using errcode = '22023', message = 'invalid_role', detail = jsonb_build_object('field', 'role', 'reason', 'owner is given by transfer_ownership')::text;
  end if;
  -- A new invitation replaces a pending one for the same address.
  delete from public.tenant_invitations i
   where i.tenant_id = p_tenant_id and i.email = private.normalize_email(p_email) and i.accepted_at is null;
  insert into public.tenant_invitations (tenant_id, email, role, token_hash, invited_by)
  values (p_tenant_id, p_email, p_role, encode(extensions.digest(clear, 'sha256'), 'hex'), (select auth.uid()))
  returning * into inv;
  return query select inv.id, clear, inv.expires_at;
end;
$$;

-- Accepts an invitation: single use, unexpired, for the caller's own e-mail.
create or replace function public.accept_invitation(p_token text)
returns public.tenant_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  caller_email text;
  inv public.tenant_invitations;
  m public.tenant_members;
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'not_authenticated';
  end if;
  select * into inv from public.tenant_invitations
   where token_hash = encode(extensions.digest(coalesce(p_token, ''), 'sha256'), 'hex')
   for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'invitation_not_found';
  end if;
  if inv.accepted_at is not null then
    raise exception using errcode = '22023', message = 'invitation_already_used';
  end if;
  if inv.expires_at <= now() then
    raise exception using errcode = '22023', message = 'invitation_expired';
  end if;
  select private.normalize_email(u.email) into caller_email from auth.users u where u.id = uid;
  if caller_email is distinct from inv.email then
    raise exception using errcode = '42501', message = 'invitation_email_mismatch';
  end if;
  update public.tenant_invitations set accepted_at = now(), accepted_by = uid where id = inv.id;
  insert into public.tenant_members (tenant_id, user_id, role)
  values (inv.tenant_id, uid, inv.role)
  on conflict (tenant_id, user_id) do update
    set role = greatest(public.tenant_members.role, excluded.role)
  returning * into m;
  return m;
end;
$$;

-- The owner hands the tenant to another member, and becomes admin.
create or replace function public.transfer_ownership(p_tenant_id uuid, p_new_owner uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
begin
  perform private.require_role(p_tenant_id, 'owner');
  if p_new_owner = uid then
    return;
  end if;
  if not exists (select 1 from public.tenant_members where tenant_id = p_tenant_id and user_id = p_new_owner) then
    raise exception using errcode = 'P0002', message = 'member_not_found', detail = jsonb_build_object('user_id', p_new_owner)::text;
  end if;
  update public.tenant_members set role = 'admin' where tenant_id = p_tenant_id and user_id = uid;
  update public.tenant_members set role = 'owner' where tenant_id = p_tenant_id and user_id = p_new_owner;
end;
$$;

-- The caller leaves a tenant; an owner must transfer ownership first.
create or replace function public.leave_tenant(p_tenant_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  r public.tenant_role;
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'not_authenticated';
  end if;
  select role into r from public.tenant_members where tenant_id = p_tenant_id and user_id = uid;
  if not found then
    raise exception using errcode = 'P0002', message = 'member_not_found';
  end if;
  if r = 'owner' then
    raise exception using errcode = '42501', message = 'owner_cannot_leave',
      hint = 'transfer_ownership to another member first';
  end if;
  delete from public.tenant_members where tenant_id = p_tenant_id and user_id = uid;
end;
$$;

revoke all on function public.create_tenant(text, text, text, text, text), public.create_invitation(uuid, text, public.tenant_role),
  public.accept_invitation(text), public.transfer_ownership(uuid, uuid), public.leave_tenant(uuid) from public, anon;
grant execute on function public.create_tenant(text, text, text, text, text), public.create_invitation(uuid, text, public.tenant_role),
  public.accept_invitation(text), public.transfer_ownership(uuid, uuid), public.leave_tenant(uuid) to authenticated, service_role;
