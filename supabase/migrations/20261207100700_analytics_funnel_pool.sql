-- The funnel's "prospects" pool as one pass over the tenant's contacts joined
-- to their milestones (a merge of two tenant-led indexes), instead of a
-- correlated NOT EXISTS per contact: 2.5 s → tens of ms at 100,000 contacts
-- (bench/dashboard.ts). Same definition: contacts that existed during the
-- period and had not been contacted before it.
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
  ), pool as (
    select count(*) filter (where (c.deleted_at is null or c.deleted_at >= b.lo)
                              and (m.contacted_at is null or m.contacted_at >= b.lo)) as n
      from b, public.contacts c
      left join public.analytics_contact_milestones m on m.tenant_id = c.tenant_id and m.contact_id = c.id
     where c.tenant_id = p_tenant_id and c.created_at < b.hi
  )
  select jsonb_build_object(
    'from', p_from, 'to', p_to,
    'prospects', greatest((select n from pool), (select count(*) from cohort)),
    'contacted', (select count(*) from cohort),
    'engaged', (select count(*) from cohort where level >= 2),
    'qualified', (select count(*) from cohort where level >= 3),
    'appointment', (select count(*) from cohort where level >= 4),
    'proposal', (select count(*) from cohort where level >= 5),
    'won', (select count(*) from cohort where level >= 6))
$$;
