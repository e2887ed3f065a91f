-- Enrolments: one contact running one version of one sequence.
--
-- status: active (the tick picks it when next_due_at passes), paused (by a
-- user; resume reschedules into the next allowed slot, never a burst), held
-- (cannot proceed without a human: a template variable missing for this
-- contact…; held_reason says why), completed (no step left), exited
-- (exit_reason: replied, meeting_booked, deal_won, deal_lost, unsubscribed,
-- bounced, complained, suppressed, do_not_contact, no_consent, opted_out,
-- manual_removal, max_attempts, contact_deleted, no_address).

create type public.enrolment_status as enum ('active', 'paused', 'held', 'completed', 'exited');

create table public.sequence_enrolments (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  sequence_id uuid not null,
  sequence_version integer not null,
  contact_id uuid not null,
  status public.enrolment_status not null default 'active',
  -- Position of the next step to run in the pinned version.
  current_position integer not null default 1,
  next_due_at timestamptz,
  last_step_at timestamptz,
  attempts integer not null default 0,
  exit_reason text,
  held_reason text,
  enrolled_at timestamptz not null default now(),
  ended_at timestamptz,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, sequence_id) references public.sequences (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  constraint sequence_enrolments_position check (current_position >= 1),
  constraint sequence_enrolments_exit_reason check ((status = 'exited') = (exit_reason is not null)),
  constraint sequence_enrolments_due check (status <> 'active' or next_due_at is not null)
);
-- A contact is enrolled at most once per sequence.
create unique index sequence_enrolments_contact_key on public.sequence_enrolments (tenant_id, sequence_id, contact_id);
create unique index sequence_enrolments_tenant_id_id_key on public.sequence_enrolments (tenant_id, id);
create index sequence_enrolments_contact_idx on public.sequence_enrolments (tenant_id, contact_id, status);
create index sequence_enrolments_version_idx on public.sequence_enrolments (tenant_id, sequence_id, sequence_version);
-- The tick's work list, across tenants (the scheduler runs as the platform).
create index sequence_enrolments_due_idx on public.sequence_enrolments (next_due_at) where status = 'active';

create trigger sequence_enrolments_updated_at before update on public.sequence_enrolments
  for each row execute function private.set_updated_at();
create trigger sequence_enrolments_protect_fields before update on public.sequence_enrolments
  for each row execute function private.protect_fields('tenant_id', 'sequence_id', 'sequence_version', 'contact_id', 'created_by', 'created_at');

-- Steps of a version in use are frozen (the function is in 20261122040100_sequences.sql).
create trigger sequence_steps_version_frozen before update or delete on public.sequence_steps
  for each row execute function private.sequence_steps_frozen();

-- New enrolments pin the sequence's current version and start now unless told otherwise.
create or replace function private.sequence_enrolments_defaults()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.sequence_version is null then
    select s.current_version into new.sequence_version from public.sequences s
     where s.tenant_id = new.tenant_id and s.id = new.sequence_id;
  end if;
  if new.status = 'active' and new.next_due_at is null then
    new.next_due_at := now();
  end if;
  return new;
end;
$$;
create trigger sequence_enrolments_defaults before insert on public.sequence_enrolments
  for each row execute function private.sequence_enrolments_defaults();

alter table public.sequence_enrolments enable row level security;
revoke all on public.sequence_enrolments from anon;

create policy sequence_enrolments_select on public.sequence_enrolments for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy sequence_enrolments_insert on public.sequence_enrolments for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequence_enrolments_update on public.sequence_enrolments for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy sequence_enrolments_delete on public.sequence_enrolments for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
