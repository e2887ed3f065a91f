-- Sales pipeline: pipelines of ordered stages, deals moving through them, and the
-- stage history the trigger writes on every move.

create type public.stage_kind as enum ('open', 'won', 'lost');

create table public.pipelines (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  position integer not null default 0,
  is_default boolean not null default false,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint pipelines_name_length check (char_length(btrim(name)) between 1 and 120)
);
create unique index pipelines_tenant_id_id_key on public.pipelines (tenant_id, id);
create unique index pipelines_one_default on public.pipelines (tenant_id) where is_default;

create table public.pipeline_stages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  pipeline_id uuid not null,
  name text not null,
  position integer not null,
  probability smallint not null default 0,
  kind public.stage_kind not null default 'open',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, pipeline_id) references public.pipelines (tenant_id, id) on delete cascade,
  constraint pipeline_stages_probability_range check (probability between 0 and 100),
  constraint pipeline_stages_won_is_certain check (kind <> 'won' or probability = 100),
  constraint pipeline_stages_lost_is_zero check (kind <> 'lost' or probability = 0),
  constraint pipeline_stages_name_length check (char_length(btrim(name)) between 1 and 80)
);
create unique index pipeline_stages_key on public.pipeline_stages (tenant_id, pipeline_id, id);
create unique index pipeline_stages_position_key on public.pipeline_stages (tenant_id, pipeline_id, position);

create table public.deals (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  pipeline_id uuid not null,
  stage_id uuid not null,
  contact_id uuid,
  title text not null,
  value numeric(14, 2),
  currency text not null default 'EUR',
  probability smallint,
  expected_close_date date,
  lost_reason text,
  owner_id uuid default auth.uid() references auth.users (id) on delete set null,
  stage_entered_at timestamptz not null default now(),
  closed_at timestamptz,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The stage belongs to the pipeline, and both to the deal's tenant.
  foreign key (tenant_id, pipeline_id, stage_id) references public.pipeline_stages (tenant_id, pipeline_id, id),
  foreign key (tenant_id, pipeline_id) references public.pipelines (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete set null (contact_id),
  constraint deals_value_positive check (value is null or value >= 0),
  constraint deals_currency_format check (currency ~ '^[A-Z]{3}$'),
  constraint deals_probability_range check (probability is null or probability between 0 and 100),
  constraint deals_title_length check (char_length(btrim(title)) between 1 and 200)
);
create unique index deals_tenant_id_id_key on public.deals (tenant_id, id);
create index deals_board_idx on public.deals (tenant_id, pipeline_id, stage_id, stage_entered_at desc);
create index deals_stage_idx on public.deals (tenant_id, stage_id);
create index deals_tenant_contact_idx on public.deals (tenant_id, contact_id) where contact_id is not null;
create index deals_tenant_owner_idx on public.deals (tenant_id, owner_id);
create index deals_owner_id_idx on public.deals (owner_id) where owner_id is not null;

create table public.deal_stage_history (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  deal_id uuid not null,
  from_stage_id uuid,
  to_stage_id uuid not null,
  changed_by uuid,
  changed_at timestamptz not null default now(),
  time_in_previous_stage interval,
  foreign key (tenant_id, deal_id) references public.deals (tenant_id, id) on delete cascade
);
create index deal_stage_history_deal_idx on public.deal_stage_history (tenant_id, deal_id, changed_at);

-- ---------------------------------------------------------------- triggers

-- Stage moves: reset stage_entered_at, follow the stage's probability unless
-- the caller set one, close won/lost deals, require a reason for lost.
create or replace function private.deals_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  s public.pipeline_stages;
begin
  if tg_op = 'INSERT' or new.stage_id is distinct from old.stage_id then
    select * into s from public.pipeline_stages
     where tenant_id = new.tenant_id and pipeline_id = new.pipeline_id and id = new.stage_id;
    if found then
      if tg_op = 'UPDATE' then
        new.stage_entered_at := now();
        if new.probability is not distinct from old.probability then
          new.probability := s.probability;
        end if;
      else
        new.probability := coalesce(new.probability, s.probability);
      end if;
      if s.kind = 'open' then
        new.closed_at := null;
        new.lost_reason := null;
      else
        new.closed_at := coalesce(new.closed_at, now());
      end if;
      if s.kind = 'lost' and nullif(btrim(new.lost_reason), '') is null then
        raise exception using errcode = '23514', message = 'lost_reason_required', detail = jsonb_build_object('field', 'lost_reason')::text;
      end if;
    end if;
  end if;
  return new;
end;
$$;
create trigger deals_before_write before insert or update on public.deals
  for each row execute function private.deals_before_write();

-- History rows are written here only (security definer: the API cannot insert them).
create or replace function private.deals_stage_history()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.deal_stage_history (tenant_id, deal_id, from_stage_id, to_stage_id, changed_by, changed_at)
    values (new.tenant_id, new.id, null, new.stage_id, (select auth.uid()), new.stage_entered_at);
  elsif new.stage_id is distinct from old.stage_id then
    insert into public.deal_stage_history (tenant_id, deal_id, from_stage_id, to_stage_id, changed_by, changed_at, time_in_previous_stage)
    values (new.tenant_id, new.id, old.stage_id, new.stage_id, (select auth.uid()), new.stage_entered_at, new.stage_entered_at - old.stage_entered_at);
  end if;
  return null;
end;
$$;
create trigger deals_stage_history after insert or update of stage_id on public.deals
  for each row execute function private.deals_stage_history();

create trigger pipelines_updated_at before update on public.pipelines
  for each row execute function private.set_updated_at();
create trigger pipelines_protect_fields before update on public.pipelines
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');
create trigger pipeline_stages_updated_at before update on public.pipeline_stages
  for each row execute function private.set_updated_at();
create trigger pipeline_stages_protect_fields before update on public.pipeline_stages
  for each row execute function private.protect_fields('tenant_id', 'pipeline_id', 'created_at');
create trigger deals_updated_at before update on public.deals
  for each row execute function private.set_updated_at();
create trigger deals_protect_fields before update on public.deals
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');
create trigger deal_stage_history_append_only before update or delete on public.deal_stage_history
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();

-- ---------------------------------------------------------------- RLS

alter table public.pipelines enable row level security;
alter table public.pipeline_stages enable row level security;
alter table public.deals enable row level security;
alter table public.deal_stage_history enable row level security;
revoke all on public.pipelines, public.pipeline_stages, public.deals, public.deal_stage_history from anon;
revoke insert, update, delete, truncate on public.deal_stage_history from authenticated;

create policy pipelines_select on public.pipelines for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy pipelines_insert on public.pipelines for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy pipelines_update on public.pipelines for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy pipelines_delete on public.pipelines for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

create policy pipeline_stages_select on public.pipeline_stages for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy pipeline_stages_insert on public.pipeline_stages for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy pipeline_stages_update on public.pipeline_stages for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy pipeline_stages_delete on public.pipeline_stages for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

-- Everyone in the tenant sees every deal and may open one; agents change and
-- delete their own, admins any.
create policy deals_select on public.deals for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy deals_insert on public.deals for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy deals_update on public.deals for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
         or (owner_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('agent')))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
              or (owner_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('agent')))));
create policy deals_delete on public.deals for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
         or (owner_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('agent')))));

create policy deal_stage_history_select on public.deal_stage_history for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
