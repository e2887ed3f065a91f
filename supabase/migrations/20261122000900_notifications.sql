-- In-app notifications, one row per recipient, published to Realtime. Written by
-- triggers and workers; a user reads, marks read and dismisses only their own.

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  title text not null,
  body text,
  link text,
  payload jsonb not null default '{}',
  event_id bigint,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_kind_format check (kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),
  constraint notifications_payload_object check (jsonb_typeof(payload) = 'object'),
  constraint notifications_link_relative check (link is null or link ~ '^/[^/]')
);
-- The bell: a user's unread notifications in the current tenant, newest first.
create index notifications_user_idx on public.notifications (user_id, tenant_id, created_at desc);
create index notifications_unread_idx on public.notifications (user_id, tenant_id) where read_at is null;
create index notifications_tenant_idx on public.notifications (tenant_id, created_at desc);

-- Assigning an activity to someone else tells them.
create or replace function private.notify_activity_assigned()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.notifications (tenant_id, user_id, kind, title, body, link, payload)
  select n.tenant_id, n.assigned_to, 'activity.assigned',
         coalesce(nullif(btrim(n.subject), ''), initcap(n.kind::text)),
         left(n.body, 280),
         case when n.contact_id is not null then '/contacts/' || n.contact_id end,
         jsonb_build_object('activity_id', n.id, 'kind', n.kind, 'due_date', n.due_date)
    from new_rows n
   where n.assigned_to is not null
     and n.assigned_to is distinct from (select auth.uid())
     and n.done_at is null
     and exists (select 1 from public.tenant_members m where m.tenant_id = n.tenant_id and m.user_id = n.assigned_to);
  return null;
end;
$$;
create trigger activities_notify_assigned after insert on public.activities
  referencing new table as new_rows for each statement execute function private.notify_activity_assigned();

alter table public.notifications enable row level security;
revoke all on public.notifications from anon;
revoke insert, update, truncate on public.notifications from authenticated;
grant update (read_at) on public.notifications to authenticated;

create policy notifications_select on public.notifications for select to authenticated
  using (user_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy notifications_update on public.notifications for update to authenticated
  using (user_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('assistant'))))
  with check (user_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy notifications_delete on public.notifications for delete to authenticated
  using (user_id = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

alter publication supabase_realtime add table public.notifications;
