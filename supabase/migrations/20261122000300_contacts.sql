-- Contacts: people and companies an agency prospects, with per-channel consent,
-- soft delete, per-tenant uniqueness of e-mail / phone / SIRET, and a
-- maintained per-tenant count (tenant_usage) for quotas and fast totals.

create type public.contact_kind as enum ('person', 'company');
create type public.lifecycle_stage as enum ('prospect', 'lead', 'qualified', 'client', 'former_client', 'lost');
create type public.consent_status as enum ('unknown', 'opt_in', 'opt_out');

create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  kind public.contact_kind not null default 'person',
  first_name text,
  last_name text,
  email text,
  phone text,
  company_name text,
  job_title text,
  siren text,
  siret text,
  naf_code text,
  address_line text,
  postal_code text,
  city text,
  country text not null default 'FR',
  source text,
  tags text[] not null default '{}',
  owner_id uuid references auth.users (id) on delete set null,
  custom_fields jsonb not null default '{}',
  lifecycle_stage public.lifecycle_stage not null default 'prospect',
  email_consent public.consent_status not null default 'unknown',
  email_consent_at timestamptz,
  sms_consent public.consent_status not null default 'unknown',
  sms_consent_at timestamptz,
  whatsapp_consent public.consent_status not null default 'unknown',
  whatsapp_consent_at timestamptz,
  phone_consent public.consent_status not null default 'unknown',
  phone_consent_at timestamptz,
  do_not_contact boolean not null default false,
  last_contacted_at timestamptz,
  last_activity_at timestamptz not null default now(),
  deleted_at timestamptz,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  search_text text generated always as (
    private.search_text(first_name, last_name, email, company_name, city)
  ) stored,
  constraint contacts_identity check (
    (kind = 'company' and nullif(btrim(company_name), '') is not null)
    or (kind = 'person' and coalesce(nullif(btrim(first_name), ''), nullif(btrim(last_name), ''), email, phone) is not null)
  ),
  constraint contacts_email_normalized check (email is null or (email = private.normalize_email(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')),
  constraint contacts_phone_e164 check (phone is null or private.is_e164(phone)),
  constraint contacts_siren_valid check (siren is null or private.is_valid_siren(siren)),
  constraint contacts_siret_valid check (siret is null or private.is_valid_siret(siret)),
  constraint contacts_siret_matches_siren check (siren is null or siret is null or left(siret, 9) = siren),
  constraint contacts_naf_code_format check (naf_code is null or naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'),
  constraint contacts_postal_code_format check (postal_code is null or country <> 'FR' or postal_code ~ '^[0-9]{5}$'),
  constraint contacts_country_format check (country ~ '^[A-Z]{2}$'),
  constraint contacts_custom_fields_object check (jsonb_typeof(custom_fields) = 'object')
);
comment on column public.contacts.search_text is 'Lower-cased, unaccented names, e-mail, company and city for trigram search.';

-- Composite key so other tables reference a contact of their own tenant only.
create unique index contacts_tenant_id_id_key on public.contacts (tenant_id, id);
-- The contact list: newest activity first, keyset on (last_activity_at, id).
create index contacts_tenant_last_activity_idx on public.contacts (tenant_id, last_activity_at desc, id desc) where deleted_at is null;
create index contacts_tenant_owner_idx on public.contacts (tenant_id, owner_id) where deleted_at is null;
create index contacts_owner_id_idx on public.contacts (owner_id) where owner_id is not null;
create unique index contacts_tenant_email_key on public.contacts (tenant_id, email) where deleted_at is null and email is not null;
create unique index contacts_tenant_phone_key on public.contacts (tenant_id, phone) where deleted_at is null and phone is not null;
create unique index contacts_tenant_siret_key on public.contacts (tenant_id, siret) where deleted_at is null and siret is not null;
create index contacts_search_trgm_idx on public.contacts using gin (tenant_id, search_text extensions.gin_trgm_ops) where deleted_at is null;
create index contacts_tenant_tags_idx on public.contacts using gin (tenant_id, tags) where deleted_at is null;

-- ---------------------------------------------------------------- triggers

-- Normalises what clients send, then reports duplicates with the existing id
-- (the partial unique indexes remain the last word under concurrency).
create or replace function private.contacts_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  dup uuid;
  field text;
begin
  new.email := private.normalize_email(new.email);
  new.phone := nullif(regexp_replace(new.phone, '[\s.()-]', '', 'g'), '');
  new.siret := nullif(regexp_replace(new.siret, '\s', '', 'g'), '');
  new.siren := nullif(regexp_replace(new.siren, '\s', '', 'g'), '');
  if new.siren is null and new.siret is not null and private.is_valid_siret(new.siret) then
    new.siren := left(new.siret, 9);
  end if;
  if new.siret is not null and not private.is_valid_siret(new.siret) then
    raise exception using errcode = '23514', message = 'invalid_siret',
      detail = jsonb_build_object('field', 'siret', 'reason', case when new.siret ~ '^[0-9]{14}$' then 'checksum' else 'format' end)::text;
  end if;
  if new.siren is not null and not private.is_valid_siren(new.siren) then
    raise exception using errcode = '23514', message = 'invalid_siren',
      detail = jsonb_build_object('field', 'siren', 'reason', case when new.siren ~ '^[0-9]{9}$' then 'checksum' else 'format' end)::text;
  end if;
  if new.phone is not null and not private.is_e164(new.phone) then
    raise exception using errcode = '23514', message = 'invalid_phone',
      detail = jsonb_build_object('field', 'phone', 'reason', 'not E.164 (+33612345678)')::text;
  end if;
  -- consent timestamps follow the status
  if tg_op = 'INSERT' or new.email_consent is distinct from old.email_consent then
    new.email_consent_at := case when new.email_consent = 'unknown' then null else coalesce(new.email_consent_at, now()) end;
  end if;
  if tg_op = 'INSERT' or new.sms_consent is distinct from old.sms_consent then
    new.sms_consent_at := case when new.sms_consent = 'unknown' then null else coalesce(new.sms_consent_at, now()) end;
  end if;
  if tg_op = 'INSERT' or new.whatsapp_consent is distinct from old.whatsapp_consent then
    new.whatsapp_consent_at := case when new.whatsapp_consent = 'unknown' then null else coalesce(new.whatsapp_consent_at, now()) end;
  end if;
  if tg_op = 'INSERT' or new.phone_consent is distinct from old.phone_consent then
    new.phone_consent_at := case when new.phone_consent = 'unknown' then null else coalesce(new.phone_consent_at, now()) end;
  end if;

  if new.deleted_at is null then
    for field, dup in
      select 'email', c.id from public.contacts c
       where new.email is not null and c.tenant_id = new.tenant_id and c.email = new.email and c.deleted_at is null and c.id <> new.id
      union all
      select 'phone', c.id from public.contacts c
       where new.phone is not null and c.tenant_id = new.tenant_id and c.phone = new.phone and c.deleted_at is null and c.id <> new.id
      union all
      select 'siret', c.id from public.contacts c
       where new.siret is not null and c.tenant_id = new.tenant_id and c.siret = new.siret and c.deleted_at is null and c.id <> new.id
      limit 1
    loop
      raise exception using errcode = '23505', message = 'duplicate_contact',
        detail = jsonb_build_object('field', field, 'existing_contact_id', dup)::text,
        hint = 'update the existing contact instead';
    end loop;
  end if;
  return new;
end;
$$;

create trigger contacts_before_write before insert or update on public.contacts
  for each row execute function private.contacts_before_write();
create trigger contacts_updated_at before update on public.contacts
  for each row execute function private.set_updated_at();
create trigger contacts_protect_fields before update on public.contacts
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');

-- ---------------------------------------------------------------- usage counters

create table public.tenant_usage (
  tenant_id uuid primary key references public.tenants (id) on delete cascade,
  contacts_count bigint not null default 0,
  updated_at timestamptz not null default now()
);
comment on table public.tenant_usage is 'Per-tenant counters maintained by triggers (contacts not soft-deleted). Read-only for the API.';

create or replace function private.tenant_usage_on_tenant()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.tenant_usage (tenant_id) values (new.id) on conflict do nothing;
  return null;
end;
$$;
create trigger tenants_usage_row after insert on public.tenants
  for each row execute function private.tenant_usage_on_tenant();

-- Statement-level, from transition tables: one counter update per tenant and
-- statement, so a 10,000-row import costs one row lock, not 10,000.
create or replace function private.tenant_usage_contacts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.tenant_usage as u (tenant_id, contacts_count)
    select tenant_id, count(*) from new_rows where deleted_at is null group by tenant_id
    on conflict (tenant_id) do update set contacts_count = u.contacts_count + excluded.contacts_count, updated_at = now();
  elsif tg_op = 'DELETE' then
    update public.tenant_usage u set contacts_count = u.contacts_count - d.n, updated_at = now()
      from (select tenant_id, count(*) as n from old_rows where deleted_at is null group by tenant_id) d
     where u.tenant_id = d.tenant_id;
  else
    update public.tenant_usage u set contacts_count = u.contacts_count + d.n, updated_at = now()
      from (
        select tenant_id, sum(n) as n from (
          select tenant_id, -count(*) as n from old_rows where deleted_at is null group by tenant_id
          union all
          select tenant_id, count(*) from new_rows where deleted_at is null group by tenant_id
        ) x group by tenant_id having sum(n) <> 0
      ) d
     where u.tenant_id = d.tenant_id;
  end if;
  return null;
end;
$$;
create trigger contacts_usage_insert after insert on public.contacts
  referencing new table as new_rows for each statement execute function private.tenant_usage_contacts();
create trigger contacts_usage_update after update on public.contacts
  referencing old table as old_rows new table as new_rows for each statement execute function private.tenant_usage_contacts();
create trigger contacts_usage_delete after delete on public.contacts
  referencing old table as old_rows for each statement execute function private.tenant_usage_contacts();

-- Recomputes the counters from the table (after bulk loads that bypass triggers).
create or replace function private.refresh_tenant_usage(p_tenant_id uuid default null)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.tenant_usage (tenant_id, contacts_count)
  select t.id, (select count(*) from public.contacts c where c.tenant_id = t.id and c.deleted_at is null)
  from public.tenants t
  where p_tenant_id is null or t.id = p_tenant_id
  on conflict (tenant_id) do update set contacts_count = excluded.contacts_count, updated_at = now()
$$;
revoke all on function private.refresh_tenant_usage(uuid) from public, anon, authenticated;
grant execute on function private.refresh_tenant_usage(uuid) to service_role;

-- ---------------------------------------------------------------- RLS

alter table public.contacts enable row level security;
alter table public.tenant_usage enable row level security;
revoke all on public.contacts, public.tenant_usage from anon;
revoke insert, update, delete, truncate on public.tenant_usage from authenticated;

create policy contacts_select on public.contacts for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy contacts_insert on public.contacts for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy contacts_update on public.contacts for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- Hard delete (erasure) is for agents and above; assistants may soft-delete.
create policy contacts_delete on public.contacts for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));

create policy tenant_usage_select on public.tenant_usage for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

-- ---------------------------------------------------------------- search RPC
-- Trigram search cannot use its index through RLS: ILIKE is not leakproof, so
-- Postgres evaluates the policy first and the pattern row by row. This RPC
-- checks membership once, then searches one tenant with the index. It returns
-- exactly the rows the caller's select policy would show.
create or replace function public.search_contacts(p_tenant_id uuid, p_query text, p_limit integer default 50)
returns setof public.contacts
language plpgsql
stable
security definer
set search_path = ''
-- the best plan depends on how common the fragment is: plan each call
set plan_cache_mode = force_custom_plan
as $$
declare
  q text := private.search_text(btrim(p_query));
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if char_length(q) < 2 then
    raise exception using errcode = '22023', message = 'query_too_short', detail = jsonb_build_object('field', 'query', 'min_length', 2)::text;
  end if;
  return query
    select c.* from public.contacts c
     where c.tenant_id = p_tenant_id
       and c.deleted_at is null
       and c.search_text like '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%'
     order by c.last_activity_at desc, c.id desc
     limit least(greatest(coalesce(p_limit, 50), 1), 200);
end;
$$;
revoke all on function public.search_contacts(uuid, text, integer) from public, anon;
grant execute on function public.search_contacts(uuid, text, integer) to authenticated, service_role;
