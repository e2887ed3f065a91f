-- The audit trail: who read or changed which personal data, with old and new
-- values for changes. Written only by triggers and audited RPCs; append-only for
-- everyone, admins included. It outlives the rows (and the tenant) it describes,
-- so it has no foreign keys.

create type public.audit_action as enum ('insert', 'update', 'delete', 'read', 'export');

create table public.audit_log (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  actor_id uuid,
  actor_role text not null default current_user,
  action public.audit_action not null,
  table_name text not null,
  record_id uuid,
  old_values jsonb,
  new_values jsonb,
  purpose text,
  occurred_at timestamptz not null default now()
);
create index audit_log_tenant_occurred_idx on public.audit_log (tenant_id, occurred_at desc);
create index audit_log_record_idx on public.audit_log (tenant_id, table_name, record_id, occurred_at desc);
create index audit_log_actor_idx on public.audit_log (tenant_id, actor_id, occurred_at desc);

create trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function private.refuse_mutation();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.refuse_mutation();

-- Columns that change as a side effect and are not worth an audit row alone.
create or replace function private.audit_bookkeeping_columns()
returns text[]
language sql
immutable
set search_path = ''
as $$ select array['updated_at', 'last_activity_at', 'last_contacted_at', 'search_text', 'stage_entered_at'] $$;

-- Statement-level: one INSERT … SELECT per statement from the transition tables.
-- Tables must have `id uuid` and `tenant_id uuid`.
create or replace function private.audit_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  skip text[] := private.audit_bookkeeping_columns();
  actor uuid := (select auth.uid());
begin
  if tg_op = 'INSERT' then
    insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, new_values)
    select (j ->> 'tenant_id')::uuid, actor, session_user || '/' || current_setting('role'), 'insert', tg_table_name, (j ->> 'id')::uuid, j - skip
      from (select to_jsonb(n) as j from new_rows n) x;
  elsif tg_op = 'DELETE' then
    insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, old_values)
    select (j ->> 'tenant_id')::uuid, actor, session_user || '/' || current_setting('role'), 'delete', tg_table_name, (j ->> 'id')::uuid, j - skip
      from (select to_jsonb(o) as j from old_rows o) x;
  else
    insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, old_values, new_values)
    select d.tenant_id, actor, session_user || '/' || current_setting('role'), 'update', tg_table_name, d.id, d.old_values, d.new_values
      from (
        select (n.j ->> 'tenant_id')::uuid as tenant_id, (n.j ->> 'id')::uuid as id,
               (select jsonb_object_agg(e.key, o.j -> e.key) from jsonb_each(n.j) e
                 where e.key <> all (skip) and (o.j -> e.key) is distinct from e.value) as old_values,
               (select jsonb_object_agg(e.key, e.value) from jsonb_each(n.j) e
                 where e.key <> all (skip) and (o.j -> e.key) is distinct from e.value) as new_values
          from (select to_jsonb(r) as j from new_rows r) n
          join (select to_jsonb(r) as j from old_rows r) o on o.j -> 'id' = n.j -> 'id'
      ) d
     where d.new_values is not null;
  end if;
  return null;
end;
$$;

create trigger contacts_audit_insert after insert on public.contacts
  referencing new table as new_rows for each statement execute function private.audit_changes();
create trigger contacts_audit_update after update on public.contacts
  referencing old table as old_rows new table as new_rows for each statement execute function private.audit_changes();
create trigger contacts_audit_delete after delete on public.contacts
  referencing old table as old_rows for each statement execute function private.audit_changes();
create trigger deals_audit_insert after insert on public.deals
  referencing new table as new_rows for each statement execute function private.audit_changes();
create trigger deals_audit_update after update on public.deals
  referencing old table as old_rows new table as new_rows for each statement execute function private.audit_changes();
create trigger deals_audit_delete after delete on public.deals
  referencing old table as old_rows for each statement execute function private.audit_changes();

-- Membership changes are audited too (no id column: keyed by user).
create or replace function private.audit_members()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, old_values, new_values)
  values (coalesce(new.tenant_id, old.tenant_id), (select auth.uid()), session_user || '/' || current_setting('role'),
          lower(tg_op)::public.audit_action, tg_table_name, coalesce(new.user_id, old.user_id),
          case when tg_op <> 'INSERT' then jsonb_build_object('role', old.role) end,
          case when tg_op <> 'DELETE' then jsonb_build_object('role', new.role) end);
  return null;
end;
$$;
create trigger tenant_members_audit after insert or update or delete on public.tenant_members
  for each row execute function private.audit_members();

-- Reads of personal data: the app calls this when it opens or exports contacts.
create or replace function public.record_contact_access(p_tenant_id uuid, p_contact_ids uuid[], p_action public.audit_action default 'read', p_purpose text default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if p_action not in ('read', 'export') then
    raise exception using errcode = '22023', message = 'invalid_audit_action', detail = jsonb_build_object('field', 'action')::text;
  end if;
  insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, purpose)
  select p_tenant_id, (select auth.uid()), session_user || '/' || current_setting('role'), p_action, 'contacts', c.id, p_purpose
    from public.contacts c
   where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids);
  get diagnostics n = row_count;
  return n;
end;
$$;
revoke all on function public.record_contact_access(uuid, uuid[], public.audit_action, text) from public, anon;
grant execute on function public.record_contact_access(uuid, uuid[], public.audit_action, text) to authenticated, service_role;

alter table public.audit_log enable row level security;
revoke all on public.audit_log from anon;
revoke insert, update, delete, truncate on public.audit_log from authenticated;

-- Admins and owners read their tenant's trail.
create policy audit_log_select on public.audit_log for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
