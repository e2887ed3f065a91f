-- Prospect bases: named lists of contacts (an import, a farming zone, a campaign
-- audience). A contact may sit in several bases of its tenant.

create table public.prospect_bases (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  description text,
  source text,
  owner_id uuid default auth.uid() references auth.users (id) on delete set null,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  archived_at timestamptz,
  constraint prospect_bases_name_length check (char_length(btrim(name)) between 1 and 200)
);
create unique index prospect_bases_tenant_id_id_key on public.prospect_bases (tenant_id, id);
create unique index prospect_bases_tenant_name_key on public.prospect_bases (tenant_id, lower(name)) where archived_at is null;
create index prospect_bases_owner_id_idx on public.prospect_bases (owner_id) where owner_id is not null;

create table public.prospect_base_members (
  tenant_id uuid not null,
  prospect_base_id uuid not null,
  contact_id uuid not null,
  added_by uuid default auth.uid(),
  added_at timestamptz not null default now(),
  primary key (tenant_id, prospect_base_id, contact_id),
  -- Composite keys: a base and its contacts always belong to the same tenant.
  foreign key (tenant_id, prospect_base_id) references public.prospect_bases (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade
);
create index prospect_base_members_contact_idx on public.prospect_base_members (tenant_id, contact_id);

create trigger prospect_bases_updated_at before update on public.prospect_bases
  for each row execute function private.set_updated_at();
create trigger prospect_bases_protect_fields before update on public.prospect_bases
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');
create trigger prospect_base_members_protect_fields before update on public.prospect_base_members
  for each row execute function private.protect_fields('tenant_id', 'added_by', 'added_at');

alter table public.prospect_bases enable row level security;
alter table public.prospect_base_members enable row level security;
revoke all on public.prospect_bases, public.prospect_base_members from anon;

create policy prospect_bases_select on public.prospect_bases for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy prospect_bases_insert on public.prospect_bases for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy prospect_bases_update on public.prospect_bases for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
-- Admins delete any base; agents the bases they own.
create policy prospect_bases_delete on public.prospect_bases for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
         or (owner_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('agent')))));

create policy prospect_base_members_select on public.prospect_base_members for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy prospect_base_members_insert on public.prospect_base_members for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy prospect_base_members_update on public.prospect_base_members for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy prospect_base_members_delete on public.prospect_base_members for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
