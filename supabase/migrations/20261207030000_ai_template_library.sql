-- The platform's template library: French real-estate templates shipped to
-- every tenant (product data, not tenant data — the rows themselves are in
-- 20261207030200_ai_template_library_content.sql). Members of any tenant read
-- it; nobody writes it through the API (migrations and the service role do).
-- A tenant uses a template by duplicating it into its own message_templates,
-- where it may edit it.

create table public.template_library (
  key text primary key,
  channel public.message_channel not null,
  language text not null default 'fr',
  name text not null,
  category text not null,
  target_segment text not null,
  description text not null default '',
  subject text,
  body text not null,
  variables text[] not null default '{}',
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint template_library_key_format check (key ~ '^[a-z][a-z0-9_]*$'),
  constraint template_library_language check (language in ('fr', 'en', 'it', 'es', 'de')),
  constraint template_library_category check (category in
    ('owner_prospecting', 'valuation', 'commercial', 'follow_up', 'event', 'market_update', 'reactivation')),
  constraint template_library_segment_format check (target_segment ~ '^[a-z][a-z0-9_]*$'),
  constraint template_library_subject_email_only check (subject is null or channel = 'email'),
  constraint template_library_email_subject check (channel <> 'email' or subject is not null),
  constraint template_library_body_length check (char_length(body) between 1 and 20000)
);
comment on table public.template_library is 'Platform templates (same rows in every environment); tenants duplicate them into message_templates.';

create index template_library_browse_idx on public.template_library (category, channel, position);

-- The same placeholder validation as tenant templates, and variables kept in step.
create or replace function private.template_library_validate()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  used text[] := private.template_placeholders(coalesce(new.subject, '') || ' ' || new.body);
  unknown text[];
begin
  select coalesce(array_agg(v order by v), '{}') into unknown from unnest(used) v where v <> all (private.template_variables());
  if cardinality(unknown) > 0 then
    raise exception using errcode = '22023', message = 'unknown_template_variable',
      detail = jsonb_build_object('variables', unknown, 'known', private.template_variables())::text;
  end if;
  new.variables := (select coalesce(array_agg(v order by v), '{}') from unnest(used) v);
  return new;
end;
$$;
create trigger template_library_validate before insert or update on public.template_library
  for each row execute function private.template_library_validate();
create trigger template_library_updated_at before update on public.template_library
  for each row execute function private.set_updated_at();

alter table public.template_library enable row level security;
revoke all on public.template_library from anon, authenticated;
grant select on public.template_library to authenticated;

-- Readable by anyone who belongs to an agency; no write policy: read-only through the API.
create policy template_library_select on public.template_library for select to authenticated
  using (cardinality(array(select private.tenant_ids_with_role('assistant'))) > 0);
