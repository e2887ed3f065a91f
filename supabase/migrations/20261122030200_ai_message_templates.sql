-- Message templates per tenant: channel, language, subject and body with
-- {{placeholders}}. Placeholders are checked against the known variables
-- before a template is saved (stable error `unknown_template_variable`).
-- The AI layer uses a template as the skeleton of its variants and as the
-- deterministic fallback when the provider is unavailable.

create type public.message_channel as enum ('email', 'sms', 'whatsapp');

create table public.message_templates (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  channel public.message_channel not null,
  language text not null default 'fr',
  name text not null,
  category text,
  target_segment text,
  subject text,
  body text not null,
  variables text[] not null default '{}',
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint message_templates_language check (language in ('fr', 'en', 'it', 'es', 'de')),
  constraint message_templates_name_length check (char_length(btrim(name)) between 1 and 120),
  constraint message_templates_body_length check (char_length(body) between 1 and 20000),
  constraint message_templates_subject_length check (subject is null or char_length(subject) <= 250),
  constraint message_templates_subject_email_only check (subject is null or channel = 'email'),
  constraint message_templates_category_format check (category is null or category ~ '^[a-z][a-z0-9_]*$')
);
comment on column public.message_templates.variables is 'Placeholders used by subject and body, maintained by a trigger.';

-- Composite key so generations reference a template of their own tenant only.
create unique index message_templates_tenant_id_id_key on public.message_templates (tenant_id, id);
create index message_templates_tenant_channel_idx on public.message_templates (tenant_id, channel, language, name);
create unique index message_templates_tenant_name_key on public.message_templates (tenant_id, channel, language, lower(name));

-- The placeholders a template may use (the renderer in _shared/ai/render.ts knows the same list).
create or replace function private.template_variables()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array['firstName', 'lastName', 'fullName', 'civility', 'companyName', 'jobTitle', 'city', 'postalCode',
               'agencyName', 'agentName', 'agentPhone', 'agencyCity', 'agencyPhone', 'marketFact', 'objective']
$$;

-- {{ name }} occurrences in a text, in order, without duplicates.
create or replace function private.template_placeholders(p_text text)
returns text[]
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_agg(distinct m[1]), '{}')
    from regexp_matches(coalesce(p_text, ''), '\{\{\s*([^{}]*?)\s*\}\}', 'g') as m
$$;

-- The validation trigger runs as the caller and calls these two.
grant execute on function private.template_variables(), private.template_placeholders(text) to authenticated, service_role;

create or replace function private.message_templates_validate()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  used text[] := private.template_placeholders(coalesce(new.subject, '') || ' ' || new.body);
  unknown text[];
begin
  select coalesce(array_agg(v order by v), '{}') into unknown
    from unnest(used) v where v <> all (private.template_variables());
  if cardinality(unknown) > 0 then
    raise exception using
      errcode = '22023',
      message = 'unknown_template_variable',
      detail = jsonb_build_object('variables', unknown, 'known', private.template_variables())::text,
      hint = 'Variable inconnue / unknown variable: ' || array_to_string(unknown, ', ');
  end if;
  -- Unbalanced braces are a typo the renderer would leave in the message.
  if (coalesce(new.subject, '') || new.body) ~ '\{\{[^}]*$|\{\{[^}]*\{\{' then
    raise exception using errcode = '22023', message = 'malformed_template_placeholder',
      hint = 'Accolades non fermées / unclosed braces';
  end if;
  new.variables := (select coalesce(array_agg(v order by v), '{}') from unnest(used) v);
  new.name := btrim(new.name);
  return new;
end;
$$;

create trigger message_templates_validate before insert or update on public.message_templates
  for each row execute function private.message_templates_validate();
create trigger message_templates_updated_at before update on public.message_templates
  for each row execute function private.set_updated_at();
create trigger message_templates_protect_fields before update on public.message_templates
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');

alter table public.message_templates enable row level security;
revoke all on public.message_templates from anon;

-- Every member reads and previews; agents create and edit; admins delete.
create policy message_templates_select on public.message_templates for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy message_templates_insert on public.message_templates for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy message_templates_update on public.message_templates for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy message_templates_delete on public.message_templates for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
