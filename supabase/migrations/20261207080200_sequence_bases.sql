-- The bases a sequence can target, with their live contact count (not
-- deleted), for the create dialog and the audience settings. Security invoker:
-- RLS decides. (PostgREST's embedded `count` is an aggregate, disabled on
-- Supabase, hence an RPC.)
create or replace function public.sequence_bases(p_tenant_id uuid)
returns table (id uuid, name text, members bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select b.id, b.name,
         (select count(*) from public.prospect_base_members m join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
           where m.tenant_id = b.tenant_id and m.prospect_base_id = b.id and c.deleted_at is null)
    from public.prospect_bases b
   where b.tenant_id = p_tenant_id and b.archived_at is null
   order by lower(b.name)
$$;

revoke all on function public.sequence_bases(uuid) from public, anon;
grant execute on function public.sequence_bases(uuid) to authenticated, service_role;
