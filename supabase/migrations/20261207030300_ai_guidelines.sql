-- "Teach the AI": the agency's writing guidelines — corrections a user made
-- to a generated message and preferences stated in plain words. The AI layer
-- puts the active ones (newest first, at most 20) into every later prompt.
-- Members read them; agents add them (as themselves); the author or an
-- admin switches one off or deletes it.

-- Composite key so a guideline references a generation of its own tenant only.
create unique index ai_generations_tenant_id_id_key on public.ai_generations (tenant_id, id);

create table public.ai_guidelines (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  kind text not null default 'preference',
  text text not null,
  generation_id uuid,
  active boolean not null default true,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, generation_id) references public.ai_generations (tenant_id, id) on delete set null (generation_id),
  constraint ai_guidelines_kind check (kind in ('preference', 'correction')),
  constraint ai_guidelines_text_length check (char_length(btrim(text)) between 3 and 500)
);
create index ai_guidelines_tenant_idx on public.ai_guidelines (tenant_id, active, created_at desc);
create index ai_guidelines_created_by_idx on public.ai_guidelines (created_by) where created_by is not null;
create index ai_guidelines_generation_idx on public.ai_guidelines (tenant_id, generation_id) where generation_id is not null;

create or replace function private.ai_guidelines_tidy()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.text := btrim(regexp_replace(new.text, '\s+', ' ', 'g'));
  return new;
end;
$$;
create trigger ai_guidelines_tidy before insert or update on public.ai_guidelines
  for each row execute function private.ai_guidelines_tidy();
create trigger ai_guidelines_updated_at before update on public.ai_guidelines
  for each row execute function private.set_updated_at();
create trigger ai_guidelines_protect_fields before update on public.ai_guidelines
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at', 'generation_id', 'kind');

alter table public.ai_guidelines enable row level security;
revoke all on public.ai_guidelines from anon;

create policy ai_guidelines_select on public.ai_guidelines for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy ai_guidelines_insert on public.ai_guidelines for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))) and created_by = (select auth.uid()));
create policy ai_guidelines_update on public.ai_guidelines for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent')))
         and (created_by = (select auth.uid()) or tenant_id = any (array(select private.tenant_ids_with_role('admin')))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent')))
              and (created_by = (select auth.uid()) or tenant_id = any (array(select private.tenant_ids_with_role('admin')))));
create policy ai_guidelines_delete on public.ai_guidelines for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent')))
         and (created_by = (select auth.uid()) or tenant_id = any (array(select private.tenant_ids_with_role('admin')))));
