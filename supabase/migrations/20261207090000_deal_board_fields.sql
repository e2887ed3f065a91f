-- Kanban bookkeeping on deals: a version for optimistic concurrency, the
-- version at which the stage last changed (the conflict rule of move_deal),
-- a rank that orders cards inside a column, the revenue and date recorded when
-- a deal is won; a configurable list of loss reasons per pipeline; deals
-- published to Realtime so every open board follows the moves.
--
-- version: 1 on insert, +1 on every update (trigger; clients cannot set it).
-- stage_version: the version written by the update that last changed stage_id.
-- board_rank: ascending = top to bottom inside a stage; new deals and deals
-- moved without a rank go to the top of their stage.

alter table public.deals
  add column version integer not null default 1,
  add column stage_version integer not null default 1,
  add column board_rank double precision,
  add column won_amount numeric(14, 2),
  add column won_on date,
  add constraint deals_won_amount_positive check (won_amount is null or won_amount >= 0);

comment on column public.deals.version is 'Optimistic concurrency: +1 on every update (trigger).';
comment on column public.deals.stage_version is 'The version at which stage_id last changed; move_deal refuses a move based on an older view of the stage.';
comment on column public.deals.board_rank is 'Order inside the stage column, ascending from the top.';
comment on column public.deals.won_amount is 'Revenue the agency records when the deal is won (fees for a sale); reports use coalesce(won_amount, value).';
comment on column public.deals.won_on is 'Date the win is dated from (signature), chosen when moving to a won stage.';

-- Existing deals: most recent stage entry at the top of each column.
update public.deals d
   set board_rank = r.rn * 1024
  from (select id, row_number() over (partition by tenant_id, stage_id order by stage_entered_at desc, id) as rn from public.deals) r
 where r.id = d.id;
update public.deals set won_amount = value, won_on = (closed_at at time zone 'Europe/Paris')::date
 where closed_at is not null and stage_id in (select id from public.pipeline_stages where kind = 'won');
alter table public.deals alter column board_rank set not null;

create index deals_stage_rank_idx on public.deals (tenant_id, stage_id, board_rank);

-- At most 30 reasons of 1 to 120 characters, no duplicates (case-insensitive).
create or replace function private.loss_reasons_valid(p_reasons text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select cardinality(p_reasons) <= 30
     and not exists (select 1 from unnest(p_reasons) r where r is null or char_length(btrim(r)) not between 1 and 120)
     and (select count(distinct lower(btrim(r))) from unnest(p_reasons) r) = cardinality(p_reasons)
$$;
revoke all on function private.loss_reasons_valid(text[]) from public, anon;
-- Check constraints run with the writer's rights: admins update pipelines through the API.
grant execute on function private.loss_reasons_valid(text[]) to authenticated, service_role;

alter table public.pipelines
  add column loss_reasons text[] not null default array[
    'Prix trop élevé', 'Mandat confié à la concurrence', 'Projet abandonné', 'Financement refusé',
    'Injoignable', 'Bien retiré du marché'],
  add constraint pipelines_loss_reasons_valid check (private.loss_reasons_valid(loss_reasons));

-- ---------------------------------------------------------------- triggers

-- Version, stage version and rank; the revenue and date of a win default to
-- the deal's value and today (Paris) whichever way the deal reaches a won stage,
-- and are cleared when it leaves it.
create or replace function private.deals_board_bookkeeping()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  k public.stage_kind;
begin
  if tg_op = 'INSERT' or new.stage_id is distinct from old.stage_id then
    select s.kind into k from public.pipeline_stages s where s.tenant_id = new.tenant_id and s.id = new.stage_id;
    if k = 'won' then
      new.won_amount := coalesce(new.won_amount, new.value);
      new.won_on := coalesce(new.won_on, (now() at time zone 'Europe/Paris')::date);
    else
      new.won_amount := null;
      new.won_on := null;
    end if;
  end if;
  if tg_op = 'INSERT' then
    new.version := 1;
    new.stage_version := 1;
    if new.board_rank is null then
      select coalesce(min(d.board_rank), 1024) - 1024 into new.board_rank
        from public.deals d where d.tenant_id = new.tenant_id and d.stage_id = new.stage_id;
    end if;
  else
    new.version := old.version + 1;
    if new.stage_id is distinct from old.stage_id then
      new.stage_version := new.version;
      if new.board_rank is not distinct from old.board_rank then
        select coalesce(min(d.board_rank), 1024) - 1024 into new.board_rank
          from public.deals d where d.tenant_id = new.tenant_id and d.stage_id = new.stage_id;
      end if;
    else
      new.stage_version := old.stage_version;
    end if;
    if new.board_rank is null then
      new.board_rank := old.board_rank;
    end if;
  end if;
  return new;
end;
$$;
revoke all on function private.deals_board_bookkeeping() from public, anon, authenticated;

create trigger deals_board_bookkeeping before insert or update on public.deals
  for each row execute function private.deals_board_bookkeeping();

-- ---------------------------------------------------------------- Realtime

do $$
begin
  if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'deals') then
    alter publication supabase_realtime add table public.deals;
  end if;
end;
$$;
