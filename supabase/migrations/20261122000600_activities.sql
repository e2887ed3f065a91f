-- Activities: notes, calls, tasks, e-mails and meetings on a contact or a deal.
-- A new activity refreshes its contact's last_activity_at (the list's order).

create type public.activity_kind as enum ('note', 'call', 'task', 'email', 'meeting');
create type public.day_period as enum ('morning', 'afternoon', 'evening');

create table public.activities (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  kind public.activity_kind not null,
  contact_id uuid,
  deal_id uuid,
  subject text,
  body text,
  due_date date,
  day_period public.day_period,
  done_at timestamptz,
  assigned_to uuid default auth.uid() references auth.users (id) on delete set null,
  created_by uuid default auth.uid(),
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, deal_id) references public.deals (tenant_id, id) on delete cascade,
  constraint activities_has_subject check (coalesce(nullif(btrim(subject), ''), nullif(btrim(body), '')) is not null),
  constraint activities_period_needs_date check (day_period is null or due_date is not null)
);
create index activities_contact_idx on public.activities (tenant_id, contact_id, occurred_at desc) where contact_id is not null;
create index activities_deal_idx on public.activities (tenant_id, deal_id, occurred_at desc) where deal_id is not null;
-- The task list: open tasks by due date per assignee.
create index activities_open_tasks_idx on public.activities (tenant_id, assigned_to, due_date) where done_at is null;
create index activities_assigned_to_idx on public.activities (assigned_to) where assigned_to is not null;
create index activities_created_by_idx on public.activities (tenant_id, created_by);
create index activities_tenant_occurred_idx on public.activities (tenant_id, occurred_at desc);

create or replace function private.activities_touch_contact()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.contacts c
     set last_activity_at = greatest(c.last_activity_at, n.at),
         last_contacted_at = case when n.contacted then greatest(c.last_contacted_at, n.at) else c.last_contacted_at end
    from (
      select tenant_id, contact_id, max(occurred_at) as at,
             bool_or(kind in ('call', 'email', 'meeting') and (kind <> 'meeting' or done_at is not null)) as contacted
        from new_rows where contact_id is not null group by tenant_id, contact_id
    ) n
   where c.tenant_id = n.tenant_id and c.id = n.contact_id
     and (c.last_activity_at < n.at or (n.contacted and c.last_contacted_at is distinct from greatest(c.last_contacted_at, n.at)));
  return null;
end;
$$;
create trigger activities_touch_contact after insert on public.activities
  referencing new table as new_rows for each statement execute function private.activities_touch_contact();

create trigger activities_updated_at before update on public.activities
  for each row execute function private.set_updated_at();
create trigger activities_protect_fields before update on public.activities
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');

alter table public.activities enable row level security;
revoke all on public.activities from anon;

create policy activities_select on public.activities for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy activities_insert on public.activities for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
-- Authors and assignees change their activities; admins any.
create policy activities_update on public.activities for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
         or ((created_by = (select auth.uid()) or assigned_to = (select auth.uid()))
             and tenant_id = any (array(select private.tenant_ids_with_role('assistant')))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
              or ((created_by = (select auth.uid()) or assigned_to = (select auth.uid()))
                  and tenant_id = any (array(select private.tenant_ids_with_role('assistant')))));
-- Assistants never delete; agents delete their own; admins any.
create policy activities_delete on public.activities for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin')))
         or (created_by = (select auth.uid()) and tenant_id = any (array(select private.tenant_ids_with_role('agent')))));
