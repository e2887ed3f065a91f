-- The funnel's prospect pool counts every contact of the tenant; under RLS
-- that count paid the contacts policy per row (1.8 s at 100,000 contacts in
-- bench/dashboard.ts). The callers (analytics_funnel, analytics_dashboard,
-- analytics_report) check membership first (private.analytics_check), so the
-- count runs as definer for the tenant named and returns one number.
create or replace function private.analytics_pool_count(p_tenant_id uuid, p_lo timestamptz, p_hi timestamptz)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select count(*) filter (where (c.deleted_at is null or c.deleted_at >= p_lo)
                            and (m.contacted_at is null or m.contacted_at >= p_lo))
    from public.contacts c
    left join public.analytics_contact_milestones m on m.tenant_id = c.tenant_id and m.contact_id = c.id
   where c.tenant_id = p_tenant_id and c.created_at < p_hi
     and private.has_role_on_tenant(p_tenant_id, 'assistant')
$$;
revoke all on function private.analytics_pool_count(uuid, timestamptz, timestamptz) from public, anon;
grant execute on function private.analytics_pool_count(uuid, timestamptz, timestamptz) to authenticated, service_role;

create or replace function private.analytics_funnel_counts(p_tenant_id uuid, p_from date, p_to date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with b as (select * from private.analytics_bounds(p_from, p_to)),
  cohort as (
    select case when m.won_at >= m.contacted_at then 6
                when m.proposal_at >= m.contacted_at then 5
                when m.appointment_at >= m.contacted_at then 4
                when m.qualified_at >= m.contacted_at then 3
                when m.engaged_at >= m.contacted_at then 2
                else 1 end as level
      from public.analytics_contact_milestones m, b
     where m.tenant_id = p_tenant_id and m.contacted_at >= b.lo and m.contacted_at < b.hi
  )
  select jsonb_build_object(
    'from', p_from, 'to', p_to,
    'prospects', greatest((select private.analytics_pool_count(p_tenant_id, b.lo, b.hi) from b), (select count(*) from cohort)),
    'contacted', (select count(*) from cohort),
    'engaged', (select count(*) from cohort where level >= 2),
    'qualified', (select count(*) from cohort where level >= 3),
    'appointment', (select count(*) from cohort where level >= 4),
    'proposal', (select count(*) from cohort where level >= 5),
    'won', (select count(*) from cohort where level >= 6))
$$;
