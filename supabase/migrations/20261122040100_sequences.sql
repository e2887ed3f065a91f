-- Sequences: an audience (a prospect base, or a segment filter; frozen at
-- enrolment or re-evaluated) and ordered steps, versioned.
--
-- Versioning rule: steps belong to one version of their sequence. Editing a
-- live sequence means creating a new version (`create_sequence_version` copies
-- the current steps, the copy is edited, `current_version` moves to it).
-- An enrolment pins the version it started on and follows that version's
-- steps to the end, by position; a running contact never sees a half-edited
-- path, a removed step never strands it, and an added or reordered step applies
-- to contacts enrolled after the change. Old versions stay as long as an
-- enrolment uses them.

create type public.sequence_status as enum ('draft', 'active', 'paused', 'archived');
create type public.sequence_audience as enum ('base', 'segment');
create type public.step_condition as enum ('always', 'opened', 'clicked', 'not_opened', 'no_reply', 'replied');

create table public.sequences (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  status public.sequence_status not null default 'draft',
  audience public.sequence_audience not null default 'base',
  prospect_base_id uuid,
  -- Segment filter (the app's filter JSON); used when audience = 'segment'.
  segment_filter jsonb not null default '{}',
  -- true: contacts that join the base/segment later are enrolled too (re-evaluated); false: frozen at launch.
  reevaluate_audience boolean not null default false,
  current_version integer not null default 1,
  -- Exit after this many sends (all steps included).
  max_attempts integer not null default 10,
  exit_on_reply boolean not null default true,
  -- A/B: minimum sends per variant before a winner is chosen, and the metric.
  ab_min_sample integer not null default 100,
  ab_metric text not null default 'reply',
  paused_reason text,
  owner_id uuid default auth.uid() references auth.users (id) on delete set null,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, prospect_base_id) references public.prospect_bases (tenant_id, id) on delete set null (prospect_base_id),
  constraint sequences_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint sequences_audience_source check (audience <> 'base' or prospect_base_id is not null or status in ('draft', 'archived')),
  constraint sequences_segment_object check (jsonb_typeof(segment_filter) = 'object'),
  constraint sequences_version_positive check (current_version >= 1),
  constraint sequences_max_attempts check (max_attempts between 1 and 100),
  constraint sequences_ab_min_sample check (ab_min_sample between 10 and 100000),
  constraint sequences_ab_metric check (ab_metric in ('reply', 'click'))
);
create unique index sequences_tenant_id_id_key on public.sequences (tenant_id, id);
create index sequences_tenant_status_idx on public.sequences (tenant_id, status, created_at desc);
create index sequences_tenant_base_idx on public.sequences (tenant_id, prospect_base_id) where prospect_base_id is not null;
create index sequences_owner_id_idx on public.sequences (owner_id) where owner_id is not null;

create table public.sequence_steps (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  sequence_id uuid not null,
  version integer not null default 1,
  position integer not null,
  -- Sending days after the previous step (after enrolment for the first step).
  day_offset integer not null default 0,
  channel public.send_channel not null,
  -- For channel = task: 'call' or 'visit'.
  task_kind text,
  condition public.step_condition not null default 'always',
  -- 1 to 3 variants: [{"key":"A","subject":"…","body":"…"}]; bodies use {{placeholders}}.
  variants jsonb not null,
  -- A/B winner once decided (or forced by a user); null = split evenly.
  winner_variant text,
  winner_decided_at timestamptz,
  winner_stats jsonb,
  -- Optional narrower window for this step, recipient time (null = the tenant's).
  window_days smallint[],
  window_start time,
  window_end time,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, sequence_id) references public.sequences (tenant_id, id) on delete cascade,
  constraint sequence_steps_position check (position >= 1),
  constraint sequence_steps_day_offset check (day_offset between 0 and 365),
  constraint sequence_steps_task_kind check ((channel = 'task') = (task_kind is not null) and (task_kind is null or task_kind in ('call', 'visit'))),
  constraint sequence_steps_variants check (
    jsonb_typeof(variants) = 'array' and jsonb_array_length(variants) between 1 and 3
    and not jsonb_path_exists(variants, '$[*] ? (!exists(@.key) || !exists(@.body))')),
  constraint sequence_steps_window_days check (window_days is null or (window_days <@ '{1,2,3,4,5,6,7}'::smallint[] and cardinality(window_days) > 0)),
  constraint sequence_steps_window_hours check ((window_start is null) = (window_end is null) and (window_start is null or window_start < window_end)),
  constraint sequence_steps_first_unconditional check (position > 1 or condition = 'always')
);
create unique index sequence_steps_position_key on public.sequence_steps (tenant_id, sequence_id, version, position);
create unique index sequence_steps_tenant_id_id_key on public.sequence_steps (tenant_id, id);

create trigger sequences_updated_at before update on public.sequences
  for each row execute function private.set_updated_at();
create trigger sequences_protect_fields before update on public.sequences
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');
create trigger sequence_steps_updated_at before update on public.sequence_steps
  for each row execute function private.set_updated_at();
create trigger sequence_steps_protect_fields before update on public.sequence_steps
  for each row execute function private.protect_fields('tenant_id', 'sequence_id', 'version', 'created_at');

-- A step of a version that enrolments already run on cannot change: edit a new version.
create or replace function private.sequence_steps_frozen()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record := coalesce(old, new);
begin
  -- winner fields are the A/B decision, not an edit of the path
  if tg_op = 'UPDATE' and (to_jsonb(new) - array['winner_variant', 'winner_decided_at', 'winner_stats', 'updated_at'])
                        = (to_jsonb(old) - array['winner_variant', 'winner_decided_at', 'winner_stats', 'updated_at']) then
    return new;
  end if;
  if exists (select 1 from public.sequence_enrolments e
              where e.tenant_id = r.tenant_id and e.sequence_id = r.sequence_id and e.sequence_version = r.version) then
    raise exception using errcode = '55000', message = 'sequence_version_in_use',
      detail = jsonb_build_object('sequence_id', r.sequence_id, 'version', r.version)::text,
      hint = 'create a new version with create_sequence_version and edit that';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;

-- ---------------------------------------------------------------- RLS

alter table public.sequences enable row level security;
alter table public.sequence_steps enable row level security;
revoke all on public.sequences, public.sequence_steps from anon;

create policy sequences_select on public.sequences for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy sequences_insert on public.sequences for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequences_update on public.sequences for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequences_delete on public.sequences for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

create policy sequence_steps_select on public.sequence_steps for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy sequence_steps_insert on public.sequence_steps for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequence_steps_update on public.sequence_steps for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequence_steps_delete on public.sequence_steps for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
