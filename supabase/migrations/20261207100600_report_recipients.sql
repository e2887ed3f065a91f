-- Who receives a tenant's e-mailed reports: its owners and admins with an
-- e-mail address. auth.users is the platform's; this definer function lets
-- the reports worker (service role) read those addresses and nothing else.
create or replace function private.report_recipients(p_tenant_id uuid)
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(u.email::text order by u.email), '{}')
    from public.tenant_members m join auth.users u on u.id = m.user_id
   where m.tenant_id = p_tenant_id and m.role in ('owner', 'admin') and u.email is not null
$$;
revoke all on function private.report_recipients(uuid) from public, anon, authenticated;
grant execute on function private.report_recipients(uuid) to service_role;
