-- Reads for the board and the deal page, built in SQL with the caller's rights
-- (security invoker: the tables' policies decide).
--
-- pipeline_board: one JSON document (not a row set, so PostgREST's max-rows
-- does not cut a 2,000-card board) with every open deal of the pipeline and the
-- deals closed in the last p_closed_days days, each with what its card shows:
-- contact name, company, score and label (contact_scores; null until the
-- contact is scored, and the card then shows no colour), last contact, source
-- and prospect bases.

create or replace function public.pipeline_board(p_pipeline_id uuid, p_closed_days integer default 30)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
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
           'base_ids', coalesce((select json_agg(m.prospect_base_id) from public.prospect_base_members m
                                  where m.tenant_id = d.tenant_id and m.contact_id = d.contact_id), '[]'::json)
         ) order by d.board_rank, d.id), '[]'::json)
    from public.deals d
    left join public.contacts c on c.tenant_id = d.tenant_id and c.id = d.contact_id
    left join public.contact_scores cs on cs.tenant_id = d.tenant_id and cs.contact_id = d.contact_id
   where d.pipeline_id = p_pipeline_id
     and (d.closed_at is null or d.closed_at >= now() - make_interval(days => greatest(coalesce(p_closed_days, 30), 0)))
$$;
revoke all on function public.pipeline_board(uuid, integer) from public, anon;
grant execute on function public.pipeline_board(uuid, integer) to authenticated, service_role;

-- Everything that happened to a deal and its contact, newest first: stage
-- moves, deal events, activities (notes, calls, tasks, e-mails, meetings — the
-- deal's and its contact's), messages sent to the contact, and appointment /
-- message events on the contact.
create or replace function public.deal_timeline(p_deal_id uuid, p_limit integer default 200)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  with d as (select * from public.deals where id = p_deal_id),
  items as (
    select h.changed_at as at, 'stage' as kind, h.changed_by as actor_id,
           json_build_object('from', fs.name, 'to', ts.name, 'to_kind', ts.kind, 'time_in_previous_stage', extract(epoch from h.time_in_previous_stage)) as data
      from d join public.deal_stage_history h on h.tenant_id = d.tenant_id and h.deal_id = d.id
      left join public.pipeline_stages fs on fs.tenant_id = h.tenant_id and fs.id = h.from_stage_id
      left join public.pipeline_stages ts on ts.tenant_id = h.tenant_id and ts.id = h.to_stage_id
    union all
    select e.occurred_at, 'event', e.actor_id, json_build_object('type', e.type, 'payload', e.payload)
      from d join public.events e on e.tenant_id = d.tenant_id
       and ((e.subject_type = 'deal' and e.subject_id = d.id and e.type not in ('deal.stage_changed', 'deal.created'))
         or (d.contact_id is not null and e.subject_type = 'contact' and e.subject_id = d.contact_id
             and (e.type like 'appointment.%' or e.type in ('lead.qualified', 'message.replied'))))
    union all
    select coalesce(case when a.kind = 'task' and a.done_at is not null then a.done_at end, a.occurred_at), 'activity', a.created_by,
           json_build_object('id', a.id, 'kind', a.kind, 'subject', a.subject, 'body', a.body, 'due_date', a.due_date,
                             'day_period', a.day_period, 'done_at', a.done_at, 'on_deal', a.deal_id is not null)
      from d join public.activities a on a.tenant_id = d.tenant_id
       and (a.deal_id = d.id or (d.contact_id is not null and a.contact_id = d.contact_id and a.deal_id is null))
    union all
    select coalesce(m.sent_at, m.queued_at), 'message', null::uuid,
           json_build_object('id', m.id, 'channel', m.channel, 'subject', m.subject, 'status', m.status)
      from d join public.message_sends m on m.tenant_id = d.tenant_id and m.contact_id = d.contact_id
     where d.contact_id is not null
  )
  select coalesce(json_agg(json_build_object('at', i.at, 'kind', i.kind, 'actor_id', i.actor_id, 'data', i.data) order by i.at desc), '[]'::json)
    from (select * from items order by at desc limit greatest(least(coalesce(p_limit, 200), 500), 1)) i
$$;
revoke all on function public.deal_timeline(uuid, integer) from public, anon;
grant execute on function public.deal_timeline(uuid, integer) to authenticated, service_role;
