-- Reporting views over the pipeline. security_invoker: they run with the
-- caller's rights, so the tables' policies filter them.

create view public.pipeline_stage_totals
with (security_invoker = on)
as
select s.tenant_id,
       s.pipeline_id,
       s.id as stage_id,
       s.name as stage_name,
       s.position,
       s.kind,
       count(d.id) as deals_count,
       coalesce(sum(d.value), 0)::numeric(16, 2) as total_value,
       coalesce(sum(d.value * coalesce(d.probability, s.probability) / 100.0), 0)::numeric(16, 2) as weighted_value
  from public.pipeline_stages s
  left join public.deals d on d.tenant_id = s.tenant_id and d.pipeline_id = s.pipeline_id and d.stage_id = s.id
 group by s.tenant_id, s.pipeline_id, s.id, s.name, s.position, s.kind;

revoke all on public.pipeline_stage_totals from anon;
revoke insert, update, delete, truncate on public.pipeline_stage_totals from authenticated;
