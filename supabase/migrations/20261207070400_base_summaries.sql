-- The bases page in one call: each base of a tenant with its member count and,
-- for generated bases, the generation's progress (unlocked / locked items).
-- Security invoker: the tables' policies decide.

create or replace function public.base_summaries(p_tenant_id uuid)
returns table (id uuid, name text, description text, source text, owner_id uuid, created_at timestamptz,
               members bigint, generation_id uuid, generation_status public.generation_status,
               unlocked bigint, locked bigint, unlock_order public.unlock_order)
language sql
stable
set search_path = ''
as $$
  select b.id, b.name, b.description, b.source, b.owner_id, b.created_at,
         (select count(*) from public.prospect_base_members m where m.tenant_id = b.tenant_id and m.prospect_base_id = b.id),
         g.id, g.status,
         (select count(*) from public.base_generation_items i where i.tenant_id = b.tenant_id and i.generation_id = g.id and i.unlocked_at is not null),
         (select count(*) from public.base_generation_items i where i.tenant_id = b.tenant_id and i.generation_id = g.id and i.unlocked_at is null),
         g.unlock_order
    from public.prospect_bases b
    left join public.base_generations g on g.tenant_id = b.tenant_id and g.prospect_base_id = b.id
   where b.tenant_id = p_tenant_id and b.archived_at is null
   order by b.created_at desc, b.id
$$;

revoke all on function public.base_summaries(uuid) from public, anon;
grant execute on function public.base_summaries(uuid) to authenticated, service_role;
