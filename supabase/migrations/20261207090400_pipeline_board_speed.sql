-- pipeline_board, same output, cheaper plan (measured by bench/pipeline-board.ts
-- with 2,000 open deals): the deals are read through the tenant-leading board
-- index (tenant of the pipeline first), and the prospect bases of all the cards'
-- contacts are aggregated in one grouped pass instead of one subquery per card.

create or replace function public.pipeline_board(p_pipeline_id uuid, p_closed_days integer default 30)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  with p as (
    select tenant_id from public.pipelines where id = p_pipeline_id
  ), d as (
    select d.*
      from p join public.deals d on d.tenant_id = p.tenant_id and d.pipeline_id = p_pipeline_id
     where d.closed_at is null or d.closed_at >= now() - make_interval(days => greatest(coalesce(p_closed_days, 30), 0))
  ), b as (
    select m.contact_id, json_agg(m.prospect_base_id) as ids
      from p join public.prospect_base_members m on m.tenant_id = p.tenant_id
     where m.contact_id in (select contact_id from d where contact_id is not null)
     group by m.contact_id
  )
  select coalesce(json_agg(json_build_object(
           'id', d.id, 'stage_id', d.stage_id, 'rank', d.board_rank, 'version', d.version,
           'title', d.title, 'value', d.value, 'currency', d.currency, 'probability', d.probability,
           'expected_close_date', d.expected_close_date, 'owner_id', d.owner_id,
           'stage_entered_at', d.stage_entered_at, 'closed_at', d.closed_at, 'lost_reason', d.lost_reason,
           'won_amount', d.won_amount, 'created_at', d.created_at,
           'contact_id', d.contact_id,
           'contact_name', nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''),
           'company_name', c.company_name,
           'contact_deleted', c.deleted_at is not null,
           'last_contacted_at', c.last_contacted_at,
           'source', c.source,
           'score', cs.score, 'score_label', cs.label,
           'base_ids', coalesce(b.ids, '[]'::json)
         ) order by d.board_rank, d.id), '[]'::json)
    from d
    left join public.contacts c on c.tenant_id = d.tenant_id and c.id = d.contact_id
    left join public.contact_scores cs on cs.tenant_id = d.tenant_id and cs.contact_id = d.contact_id
    left join b on b.contact_id = d.contact_id
$$;
revoke all on function public.pipeline_board(uuid, integer) from public, anon;
grant execute on function public.pipeline_board(uuid, integer) to authenticated, service_role;
