-- A tenant template remembers the library template it was duplicated from,
-- so the library shows "déjà dans vos modèles" and performance can be read
-- per library template within a tenant.

alter table public.message_templates
  add column source_key text references public.template_library (key) on delete set null;
create index message_templates_source_key_idx on public.message_templates (source_key);

-- Variables validated before save, callable from the editor: the unknown
-- placeholders of a subject and body (empty = valid). Same rules as the trigger.
create or replace function public.template_unknown_variables(p_subject text, p_body text)
returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(v order by v), '{}')
    from unnest(private.template_placeholders(coalesce(p_subject, '') || ' ' || coalesce(p_body, ''))) v
   where v <> all (private.template_variables())
$$;
revoke all on function public.template_unknown_variables(text, text) from public, anon;
grant execute on function public.template_unknown_variables(text, text) to authenticated, service_role;
