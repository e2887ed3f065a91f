-- Domain events: one append-only table, published to Realtime, feeding
-- notifications, analytics, outgoing webhooks and the audit trail.

create table public.events (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  type text not null,
  subject_type text,
  subject_id uuid,
  payload jsonb not null default '{}',
  actor_id uuid default auth.uid(),
  occurred_at timestamptz not null default now(),
  constraint events_type_format check (type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  constraint events_subject_type_format check (subject_type is null or subject_type ~ '^[a-z][a-z_]*$'),
  constraint events_payload_object check (jsonb_typeof(payload) = 'object')
);
create index events_tenant_occurred_idx on public.events (tenant_id, occurred_at desc, id desc);
create index events_tenant_type_idx on public.events (tenant_id, type, occurred_at desc);
create index events_subject_idx on public.events (tenant_id, subject_type, subject_id) where subject_id is not null;
create index events_actor_id_idx on public.events (tenant_id, actor_id) where actor_id is not null;

-- Cascades from a deleted tenant pass (they run inside the RI trigger);
-- direct updates and deletes do not.
create trigger events_append_only before update or delete on public.events
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();
create trigger events_no_truncate before truncate on public.events
  for each statement execute function private.refuse_mutation();

-- The one way internal code records an event.
create or replace function private.emit_event(
  p_tenant_id uuid, p_type text, p_subject_type text default null, p_subject_id uuid default null, p_payload jsonb default '{}'
)
returns bigint
language sql
security definer
set search_path = ''
as $$
  insert into public.events (tenant_id, type, subject_type, subject_id, payload, actor_id)
  values (p_tenant_id, p_type, p_subject_type, p_subject_id, coalesce(p_payload, '{}'), (select auth.uid()))
  returning id
$$;
revoke all on function private.emit_event(uuid, text, text, uuid, jsonb) from public, anon, authenticated;
grant execute on function private.emit_event(uuid, text, text, uuid, jsonb) to service_role;

-- Deal lifecycle events.
create or replace function private.deals_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  k public.stage_kind;
begin
  select kind into k from public.pipeline_stages where id = new.stage_id;
  if tg_op = 'INSERT' then
    perform private.emit_event(new.tenant_id, 'deal.created', 'deal', new.id,
      jsonb_build_object('stage_id', new.stage_id, 'value', new.value, 'contact_id', new.contact_id));
  elsif new.stage_id is distinct from old.stage_id then
    perform private.emit_event(new.tenant_id, 'deal.stage_changed', 'deal', new.id,
      jsonb_build_object('from_stage_id', old.stage_id, 'to_stage_id', new.stage_id));
    if k = 'won' then
      perform private.emit_event(new.tenant_id, 'deal.won', 'deal', new.id, jsonb_build_object('value', new.value, 'currency', new.currency));
    elsif k = 'lost' then
      perform private.emit_event(new.tenant_id, 'deal.lost', 'deal', new.id, jsonb_build_object('lost_reason', new.lost_reason));
    end if;
  end if;
  return null;
end;
$$;
create trigger deals_events after insert or update of stage_id on public.deals
  for each row execute function private.deals_events();

alter table public.events enable row level security;
revoke all on public.events from anon;
revoke update, delete, truncate on public.events from authenticated;

create policy events_select on public.events for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- Members record events for their own tenant, as themselves.
create policy events_insert on public.events for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))) and actor_id = (select auth.uid()));

alter publication supabase_realtime add table public.events;
