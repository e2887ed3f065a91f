-- AI generations: one row per "write me a message" request — what was asked,
-- the facts the prompt used (shown to the user in plain French), the three
-- variants with their checks and scores, whether the deterministic fallback
-- wrote them, and the feedback loop: the variant chosen, the user's edited
-- text and an optional comment. Written as the user (RLS decides); refused by
-- a trigger when the tenant's AI budget is blocked (>= 120 %, not Enterprise).

create table public.ai_generations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid default auth.uid() references auth.users (id) on delete set null,
  contact_id uuid,
  template_id uuid,
  channel public.message_channel not null,
  language text not null,
  objective text,
  instruction text,
  request jsonb not null default '{}',
  facts jsonb not null default '[]',
  variants jsonb not null,
  model text,
  fallback boolean not null default false,
  fallback_reason text,
  chosen_variant smallint,
  edited_subject text,
  edited_body text,
  feedback text,
  chosen_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, template_id) references public.message_templates (tenant_id, id) on delete set null (template_id),
  constraint ai_generations_language check (language in ('fr', 'en', 'it', 'es', 'de')),
  constraint ai_generations_request_object check (jsonb_typeof(request) = 'object'),
  constraint ai_generations_facts_array check (jsonb_typeof(facts) = 'array'),
  constraint ai_generations_variants_shape check (jsonb_typeof(variants) = 'array' and jsonb_array_length(variants) between 1 and 3),
  constraint ai_generations_chosen_range check (chosen_variant is null or (chosen_variant >= 0 and chosen_variant < jsonb_array_length(variants))),
  constraint ai_generations_edited_length check (char_length(coalesce(edited_body, '')) <= 20000 and char_length(coalesce(edited_subject, '')) <= 250),
  constraint ai_generations_feedback_length check (char_length(coalesce(feedback, '')) <= 2000),
  constraint ai_generations_fallback_reason check (fallback_reason is null or fallback_reason ~ '^[a-z][a-z0-9_]*$')
);
comment on column public.ai_generations.facts is 'Facts the prompt used: [{key, label (French), value, source}].';
comment on column public.ai_generations.variants is '[{subject, body, checks: {length, segments, spam, personalisation, readingSeconds, inventedFacts}}], three distinct variants.';

create index ai_generations_tenant_created_idx on public.ai_generations (tenant_id, created_at desc);
create index ai_generations_tenant_user_idx on public.ai_generations (tenant_id, user_id, created_at desc);
create index ai_generations_user_id_idx on public.ai_generations (user_id) where user_id is not null;
create index ai_generations_contact_idx on public.ai_generations (tenant_id, contact_id, created_at desc);
create index ai_generations_template_idx on public.ai_generations (tenant_id, template_id);

-- Generation is refused when the tenant's budget is blocked. Only callers who
-- may write the row are checked here (others are refused by RLS, and learn
-- nothing about another tenant's budget).
create or replace function private.ai_generations_budget_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  st record;
begin
  if (select auth.uid()) is not null and not private.has_role_on_tenant(new.tenant_id, 'assistant') then
    return new;
  end if;
  select * into st from private.ai_budget_state(new.tenant_id);
  if st.state = 'blocked' then
    raise exception using
      errcode = 'P0001',
      message = 'ai_budget_exceeded',
      detail = jsonb_build_object('spent_eur', st.spent_eur, 'budget_eur', st.budget_eur, 'ratio', st.ratio)::text,
      hint = 'Budget IA mensuel dépassé (120 %) / monthly AI budget exceeded (120%)';
  end if;
  return new;
end;
$$;
revoke all on function private.ai_generations_budget_guard() from public, anon, authenticated;
create trigger ai_generations_budget_guard before insert on public.ai_generations
  for each row execute function private.ai_generations_budget_guard();

-- Choosing a variant stamps chosen_at.
create or replace function private.ai_generations_chosen_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.chosen_variant is distinct from old.chosen_variant then
    new.chosen_at := case when new.chosen_variant is null then null else now() end;
  end if;
  return new;
end;
$$;
create trigger ai_generations_chosen_at before update on public.ai_generations
  for each row execute function private.ai_generations_chosen_at();
create trigger ai_generations_updated_at before update on public.ai_generations
  for each row execute function private.set_updated_at();

alter table public.ai_generations enable row level security;
revoke all on public.ai_generations from anon;
-- The feedback loop is the only thing a member changes after the fact.
revoke update on public.ai_generations from authenticated;
grant update (chosen_variant, edited_subject, edited_body, feedback) on public.ai_generations to authenticated;

create policy ai_generations_select on public.ai_generations for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- A member records generations as themselves.
create policy ai_generations_insert on public.ai_generations for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))) and user_id = (select auth.uid()));
-- The author gives feedback on their generation; admins may too.
create policy ai_generations_update on public.ai_generations for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant')))
         and (user_id = (select auth.uid()) or tenant_id = any (array(select private.tenant_ids_with_role('admin')))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant')))
              and (user_id = (select auth.uid()) or tenant_id = any (array(select private.tenant_ids_with_role('admin')))));
create policy ai_generations_delete on public.ai_generations for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
