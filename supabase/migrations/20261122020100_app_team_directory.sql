-- The team page needs each member's e-mail and name, which live in auth.users
-- (never exposed). This RPC returns them for one tenant, to its members only.

create or replace function public.tenant_member_directory(p_tenant_id uuid)
returns table (user_id uuid, email text, full_name text, role public.tenant_role, joined_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return query
    select m.user_id,
           u.email::text,
           nullif(btrim(coalesce(u.raw_user_meta_data ->> 'full_name', '')), ''),
           m.role,
           m.created_at
      from public.tenant_members m
      join auth.users u on u.id = m.user_id
     where m.tenant_id = p_tenant_id
     order by m.role desc, u.email;
end;
$$;

revoke all on function public.tenant_member_directory(uuid) from public, anon;
grant execute on function public.tenant_member_directory(uuid) to authenticated, service_role;
