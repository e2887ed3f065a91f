-- move_deal: the one way the board moves a card. It runs with the caller's
-- rights (RLS: agents move their own deals, admins any; assistants none), so
-- the stage history, the deal.* events and the audit trail are written by the
-- existing triggers exactly as for any other stage change.
--
-- Conflict rule (docs/pipeline.md): the client sends the version of the deal it
-- showed. The move is applied unless the deal changed stage after that version
-- (stage_version > expected) and now sits in another stage than the target: then
-- 40001 deal_moved_meanwhile, with the current stage and version in DETAIL, and
-- nothing is written. Edits of other fields and reorders do not block a move,
-- and a move writes only stage, rank and the win/loss fields, so it never
-- overwrites someone else's edit. Reorders inside a column: last writer wins.
--
-- Position: p_after_deal_id is the card shown just above the drop point (null =
-- top of the column). The rank is the midpoint between that card and the next
-- one of the stage; when the gap is exhausted the stage is renumbered.

create or replace function private.renumber_stage(p_tenant_id uuid, p_stage_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  update public.deals d
     set board_rank = r.rn * 1024
    from (select id, row_number() over (order by board_rank, id) as rn
            from public.deals where tenant_id = p_tenant_id and stage_id = p_stage_id) r
   where d.tenant_id = p_tenant_id and d.id = r.id and d.board_rank is distinct from r.rn * 1024
     and (select private.has_role_on_tenant(p_tenant_id, 'agent'))
$$;
revoke all on function private.renumber_stage(uuid, uuid) from public, anon;
grant execute on function private.renumber_stage(uuid, uuid) to authenticated, service_role;

-- The rank for a card placed just below p_after (null: top) in a stage.
create or replace function private.rank_after(p_tenant_id uuid, p_stage_id uuid, p_deal_id uuid, p_after uuid)
returns double precision
language plpgsql
security definer
set search_path = ''
as $$
declare
  a double precision;
  b double precision;
  r double precision;
begin
  if p_after is not null then
    select board_rank into a from public.deals where tenant_id = p_tenant_id and stage_id = p_stage_id and id = p_after and id <> p_deal_id;
  end if;
  if a is null then
    -- Top of the column (also when the anchor left the stage meanwhile).
    select min(board_rank) into b from public.deals where tenant_id = p_tenant_id and stage_id = p_stage_id and id <> p_deal_id;
    return coalesce(b, 1024) - 1024;
  end if;
  select min(board_rank) into b from public.deals
   where tenant_id = p_tenant_id and stage_id = p_stage_id and id <> p_deal_id and board_rank > a;
  if b is null then
    return a + 1024;
  end if;
  r := (a + b) / 2;
  if b - a < 1e-6 or r <= a or r >= b then
    perform private.renumber_stage(p_tenant_id, p_stage_id);
    return private.rank_after(p_tenant_id, p_stage_id, p_deal_id, p_after);
  end if;
  return r;
end;
$$;
revoke all on function private.rank_after(uuid, uuid, uuid, uuid) from public, anon;
grant execute on function private.rank_after(uuid, uuid, uuid, uuid) to authenticated, service_role;

create or replace function public.move_deal(
  p_deal_id uuid,
  p_stage_id uuid,
  p_after_deal_id uuid default null,
  p_expected_version integer default null,
  p_lost_reason text default null,
  p_won_amount numeric default null,
  p_won_on date default null
)
returns public.deals
language plpgsql
security invoker
set search_path = ''
as $$
declare
  d public.deals;
  s public.pipeline_stages;
  reason text := nullif(btrim(coalesce(p_lost_reason, '')), '');
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'not_authenticated';
  end if;
  select * into d from public.deals where id = p_deal_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'deal_not_found', detail = jsonb_build_object('deal_id', p_deal_id)::text;
  end if;
  -- Lock the row; the UPDATE policy filters out deals the caller may not change.
  select * into d from public.deals where id = p_deal_id for update;
  if not found then
    raise exception using errcode = '42501', message = 'insufficient_role',
      detail = jsonb_build_object('tenant_id', (select tenant_id from public.deals where id = p_deal_id), 'required_role', 'agent')::text;
  end if;
  select * into s from public.pipeline_stages where tenant_id = d.tenant_id and pipeline_id = d.pipeline_id and id = p_stage_id;
  if not found then
    raise exception using errcode = '22023', message = 'invalid_stage', detail = jsonb_build_object('field', 'stage_id')::text;
  end if;

  if p_expected_version is not null and d.stage_version > p_expected_version and d.stage_id <> p_stage_id then
    raise exception using errcode = '40001', message = 'deal_moved_meanwhile',
      detail = jsonb_build_object('deal_id', d.id, 'stage_id', d.stage_id, 'version', d.version,
        'moved_by', (select h.changed_by from public.deal_stage_history h
                      where h.tenant_id = d.tenant_id and h.deal_id = d.id order by h.changed_at desc, h.id desc limit 1))::text;
  end if;

  if s.kind = 'lost' and reason is null and d.stage_id <> p_stage_id then
    raise exception using errcode = '23514', message = 'lost_reason_required', detail = jsonb_build_object('field', 'lost_reason')::text;
  end if;
  if reason is not null and char_length(reason) > 200 then
    raise exception using errcode = '22023', message = 'lost_reason_too_long', detail = jsonb_build_object('field', 'lost_reason')::text;
  end if;
  if p_won_amount is not null and p_won_amount < 0 then
    raise exception using errcode = '22023', message = 'invalid_won_amount', detail = jsonb_build_object('field', 'won_amount')::text;
  end if;

  update public.deals
     set stage_id = p_stage_id,
         board_rank = private.rank_after(d.tenant_id, p_stage_id, d.id, p_after_deal_id),
         lost_reason = case when s.kind = 'lost' then coalesce(reason, d.lost_reason) end,
         won_amount = case when s.kind = 'won' then coalesce(p_won_amount, case when d.stage_id = p_stage_id then d.won_amount end) end,
         won_on = case when s.kind = 'won' then coalesce(p_won_on, case when d.stage_id = p_stage_id then d.won_on end) end
   where id = d.id
  returning * into d;
  return d;
end;
$$;
revoke all on function public.move_deal(uuid, uuid, uuid, integer, text, numeric, date) from public, anon;
grant execute on function public.move_deal(uuid, uuid, uuid, integer, text, numeric, date) to authenticated, service_role;
