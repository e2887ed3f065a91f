-- Pipeline: move_deal (history, events, probability, won/lost rules, roles,
-- ranks, conflicts), the default pipeline, save_pipeline, the board and
-- timeline reads.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(58);

create or replace function pg_temp.stage(p_name text) returns uuid language sql security definer set search_path = '' as $$
  select id from public.pipeline_stages where tenant_id = '0a000000-0000-4000-8000-00000000000a' and name = p_name
$$;
create or replace function pg_temp.deal(p_id text) returns public.deals language sql security definer set search_path = '' as $$
  select * from public.deals where id = ('d0000000-0000-4000-8000-0000000000' || p_id)::uuid
$$;
grant execute on function pg_temp.stage(text), pg_temp.deal(text) to public;
create temp table k on commit drop as select pipeline_id as pa from public.pipeline_stages where id = pg_temp.stage('Nouveau');
grant select on k to public;

-- A fuller pipeline for tenant A: Nouveau(1), Visite(2) added, Gagné, Perdu.
insert into public.pipeline_stages (tenant_id, pipeline_id, name, position, probability, kind)
select tenant_id, pipeline_id, 'Visite', 10, 50, 'open' from public.pipeline_stages where id = pg_temp.stage('Nouveau');
insert into public.deals (id, tenant_id, pipeline_id, stage_id, contact_id, title, value, owner_id)
select 'd0000000-0000-4000-8000-0000000000a3', tenant_id, pipeline_id, id, 'c0000000-0000-4000-8000-0000000000a1', 'Loft Neuilly', 500000, tests.uid('a_agent')
  from public.pipeline_stages where id = pg_temp.stage('Nouveau');

-- ---------------------------------------------------------------- bookkeeping
select is((pg_temp.deal('a1')).version, 1, 'a new deal starts at version 1');
select ok((pg_temp.deal('a3')).board_rank < (pg_temp.deal('a1')).board_rank, 'a new deal goes to the top of its column');
update public.deals set title = 'Appartement Neuilly 4p' where id = 'd0000000-0000-4000-8000-0000000000a1';
select is((pg_temp.deal('a1')).version, 2, 'every update bumps the version');
select is((pg_temp.deal('a1')).stage_version, 1, 'an edit leaves the stage version alone');

-- ---------------------------------------------------------------- roles
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a1', pg_temp.stage('Visite'))), '42501',
  'an assistant cannot move a deal');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a2', pg_temp.stage('Visite'))), '42501',
  'an agent cannot move a colleague''s deal');
select is((pg_temp.deal('a2')).stage_id, pg_temp.stage('Nouveau'), 'the colleague''s deal did not move');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a1', pg_temp.stage('Visite'))), 'P0002',
  'another tenant''s owner does not even find the deal');
select tests.authenticate_as_anon();
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a1', pg_temp.stage('Visite'))), '42501',
  'anon cannot call move_deal');

-- ---------------------------------------------------------------- a move
select tests.authenticate_as(tests.uid('a_agent'));
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a1', pg_temp.stage('Visite'), null, 2)).stage_id, pg_temp.stage('Visite'),
  'the agent moves their own deal');
select is((pg_temp.deal('a1')).version, 3, 'the move bumps the version');
select is((pg_temp.deal('a1')).stage_version, 3, 'and records the stage version');
select is((pg_temp.deal('a1')).probability, 50::smallint, 'the deal takes the new stage''s probability');
select is((select count(*) from public.deal_stage_history where deal_id = 'd0000000-0000-4000-8000-0000000000a1' and to_stage_id = pg_temp.stage('Visite')
            and from_stage_id = pg_temp.stage('Nouveau') and changed_by = tests.uid('a_agent')), 1::bigint, 'the move is in the stage history, with its author');
select is((select count(*) from public.events where type = 'deal.stage_changed' and subject_id = 'd0000000-0000-4000-8000-0000000000a1'
            and payload ->> 'to_stage_id' = pg_temp.stage('Visite')::text and actor_id = tests.uid('a_agent')), 1::bigint, 'and emits deal.stage_changed');
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a1', pg_temp.stage('Nope'))), '22023',
  'an unknown stage is refused');
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a1',
  (select id from public.pipeline_stages where tenant_id = tests.tenant('b') limit 1))), '22023', 'a stage of another pipeline is refused');

-- ---------------------------------------------------------------- ranks
select public.move_deal('d0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Visite'), null, null);
select ok((pg_temp.deal('a3')).board_rank < (pg_temp.deal('a1')).board_rank, 'no anchor: the card lands on top');
select public.move_deal('d0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Visite'), 'd0000000-0000-4000-8000-0000000000a1', null);
select ok((pg_temp.deal('a3')).board_rank > (pg_temp.deal('a1')).board_rank, 'after an anchor: the card lands below it');
select is((pg_temp.deal('a3')).stage_version, (select stage_version from public.deals where id = 'd0000000-0000-4000-8000-0000000000a3'),
  'a reorder keeps the stage version');
-- Bisect the same gap until the ranks run out: the stage is renumbered, order kept.
select tests.clear_authentication();
update public.deals set board_rank = 1 where id = 'd0000000-0000-4000-8000-0000000000a1';
update public.deals set board_rank = 1.0000000001 where id = 'd0000000-0000-4000-8000-0000000000a3';
insert into public.deals (id, tenant_id, pipeline_id, stage_id, title, owner_id)
select 'd0000000-0000-4000-8000-0000000000a4', tenant_id, pipeline_id, pg_temp.stage('Nouveau'), 'Duplex', tests.uid('a_agent')
  from public.pipeline_stages where id = pg_temp.stage('Nouveau');
select tests.authenticate_as(tests.uid('a_agent'));
select public.move_deal('d0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Visite'), 'd0000000-0000-4000-8000-0000000000a1', null);
select ok((pg_temp.deal('a1')).board_rank < (pg_temp.deal('a4')).board_rank and (pg_temp.deal('a4')).board_rank < (pg_temp.deal('a3')).board_rank,
  'an exhausted gap renumbers the stage and keeps the order a1 < a4 < a3');
select ok((select min(board_rank) from public.deals where stage_id = pg_temp.stage('Visite')) >= 1024, 'ranks are renumbered to steps of 1024');

-- ---------------------------------------------------------------- conflicts
-- a_agent saw a4 at version v; the admin moves it back to Nouveau; a_agent's move is refused.
select tests.clear_authentication();
create temp table seen on commit drop as select version from public.deals where id = 'd0000000-0000-4000-8000-0000000000a4';
grant select on seen to authenticated;
select tests.authenticate_as(tests.uid('a_admin'));
select public.move_deal('d0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Nouveau'), null, (select version from seen));
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format('select public.move_deal(%L, %L, null, %s)', 'd0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Gagné'), (select version from seen))),
  '40001', 'a move based on a stale stage is refused (deal_moved_meanwhile)');
select ok(tests.error_detail(format('select public.move_deal(%L, %L, null, %s)', 'd0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Gagné'), (select version from seen)))::jsonb
            @> jsonb_build_object('stage_id', pg_temp.stage('Nouveau'), 'moved_by', tests.uid('a_admin')),
  'the conflict names the current stage and who moved it');
select is((pg_temp.deal('a4')).stage_id, pg_temp.stage('Nouveau'), 'the first writer''s move stands');
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Nouveau'), null, (select version from seen))).stage_id,
  pg_temp.stage('Nouveau'), 'the same target as the concurrent move is accepted (nothing to resolve)');
-- An edit by someone else (not a move) does not block a move, and is not overwritten.
select tests.authenticate_as(tests.uid('a_admin'));
update public.deals set value = 777000 where id = 'd0000000-0000-4000-8000-0000000000a4';
select tests.authenticate_as(tests.uid('a_agent'));
select lives_ok(format('select public.move_deal(%L, %L, null, %s)', 'd0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Visite'),
  (select version - 1 from public.deals where id = 'd0000000-0000-4000-8000-0000000000a4')), 'an edit by someone else does not block a move');
select is((pg_temp.deal('a4')).value, 777000.00::numeric, 'and the move keeps that edit');

-- ---------------------------------------------------------------- lost
select is(tests.error_of(format('select public.move_deal(%L, %L)', 'd0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Perdu'))), '23514',
  'losing a deal needs a reason');
select is(tests.error_of(format('select public.move_deal(%L, %L, null, null, %L)', 'd0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Perdu'), '   ')), '23514',
  'a blank reason is no reason');
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Perdu'), null, null, 'Prix trop élevé')).lost_reason, 'Prix trop élevé',
  'the reason is recorded');
select ok((pg_temp.deal('a3')).closed_at is not null and (pg_temp.deal('a3')).probability = 0, 'a lost deal is closed at 0 %');
select is((select payload ->> 'lost_reason' from public.events where type = 'deal.lost' and subject_id = 'd0000000-0000-4000-8000-0000000000a3'),
  'Prix trop élevé', 'deal.lost carries the reason');
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Visite'))).lost_reason, null, 'reopening clears the reason');
select ok((pg_temp.deal('a3')).closed_at is null, 'and the closing date');

-- ---------------------------------------------------------------- won
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a3', pg_temp.stage('Gagné'), null, null, null, 25000, '2026-11-30')).won_amount, 25000.00::numeric,
  'winning records the revenue given');
select is((pg_temp.deal('a3')).won_on, '2026-11-30'::date, 'and its date');
select is((pg_temp.deal('a3')).probability, 100::smallint, 'a won deal is at 100 %');
select is((select count(*) from public.events where type = 'deal.won' and subject_id = 'd0000000-0000-4000-8000-0000000000a3'), 1::bigint, 'deal.won is emitted');
select is(tests.error_of(format('select public.move_deal(%L, %L, null, null, null, -5)', 'd0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Gagné'))), '22023',
  'a negative revenue is refused');
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Gagné'))).won_amount, 777000.00::numeric,
  'without a revenue given, the deal''s value is recorded');
select is((pg_temp.deal('a4')).won_on, (now() at time zone 'Europe/Paris')::date, 'dated today (Paris) by default');
select is((public.move_deal('d0000000-0000-4000-8000-0000000000a4', pg_temp.stage('Visite'))).won_amount, null, 'leaving the won stage clears the revenue');

-- ---------------------------------------------------------------- board and timeline reads
select is(json_array_length(public.pipeline_board((select pa from k))), 4,
  'the board returns the pipeline''s deals');
select ok((select bool_and((e ->> 'contact_name') is not null) from json_array_elements(public.pipeline_board(
  (select pa from k))) e where e ->> 'contact_id' is not null), 'cards carry their contact''s name');
select ok((select bool_and(e -> 'base_ids' is not null and json_typeof(e -> 'base_ids') = 'array') from json_array_elements(public.pipeline_board(
  (select pa from k))) e), 'cards carry their prospect bases');
select ok(json_array_length(public.deal_timeline('d0000000-0000-4000-8000-0000000000a3')) >= 5, 'the timeline lists the moves and events');
select tests.authenticate_as(tests.uid('b_owner'));
select is(json_array_length(public.pipeline_board((select pa from k))), 0,
  'another tenant reads an empty board');
select is(json_array_length(public.deal_timeline('d0000000-0000-4000-8000-0000000000a1')), 0, 'and an empty timeline');

-- ---------------------------------------------------------------- default pipeline and settings
select tests.clear_authentication();
insert into public.tenants (id, slug, legal_name) values ('0c000000-0000-4000-8000-00000000000c', 'agence-c', 'Agence C');
insert into public.tenant_members (tenant_id, user_id, role) values ('0c000000-0000-4000-8000-00000000000c', tests.uid('stranger'), 'owner');
select tests.authenticate_as(tests.uid('stranger'));
select ok(public.ensure_default_pipeline('0c000000-0000-4000-8000-00000000000c') is not null, 'a member opening the board gets a pipeline');
select is((select array_agg(s.name || ':' || s.probability || ':' || s.kind order by s.position) from public.pipeline_stages s
            join public.pipelines p on p.id = s.pipeline_id where p.tenant_id = '0c000000-0000-4000-8000-00000000000c' and p.is_default),
  array['Prospect:10:open', 'Contacté:20:open', 'Intéressé:35:open', 'RDV / Estimation:50:open', 'Mandat / Proposition:75:open', 'Gagné:100:won', 'Perdu:0:lost'],
  'the default real-estate pipeline, with a probability per stage');
select is(public.ensure_default_pipeline('0c000000-0000-4000-8000-00000000000c'), (select id from public.pipelines where tenant_id = '0c000000-0000-4000-8000-00000000000c'),
  'ensure_default_pipeline is idempotent');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of($$select public.ensure_default_pipeline('0c000000-0000-4000-8000-00000000000c')$$), '42501', 'nobody else may create it');

select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format($$select public.save_pipeline(%L, 'X', '{}', '[{"name":"A","kind":"open","probability":10}]')$$,
  (select pa from k))), '42501', 'an agent cannot edit a pipeline');
select tests.authenticate_as(tests.uid('a_admin'));
select is(tests.error_of(format($$select public.save_pipeline(%L, 'Ventes', '{}', %L)$$,
  (select pa from k),
  jsonb_build_array(jsonb_build_object('id', pg_temp.stage('Visite'), 'name', 'Visite', 'kind', 'open', 'probability', 40)))), '23503',
  'a stage holding deals cannot be removed');
select lives_ok(format($$select public.save_pipeline(%L, 'Ventes 2027', array['Prix', 'Délai'], %L)$$,
  (select pa from k),
  jsonb_build_array(
    jsonb_build_object('id', pg_temp.stage('Visite'), 'name', 'Visites', 'kind', 'open', 'probability', 40),
    jsonb_build_object('id', pg_temp.stage('Nouveau'), 'name', 'Nouveau', 'kind', 'open', 'probability', 15),
    jsonb_build_object('name', 'Offre', 'kind', 'open', 'probability', 70),
    jsonb_build_object('id', pg_temp.stage('Gagné'), 'name', 'Gagné', 'kind', 'won', 'probability', 3),
    jsonb_build_object('id', pg_temp.stage('Perdu'), 'name', 'Perdu', 'kind', 'lost', 'probability', 0))),
  'an admin renames, reorders, adds stages and sets loss reasons in one call');
select is((select array_agg(name || ':' || probability order by position) from public.pipeline_stages
            where pipeline_id = (select pa from k)),
  array['Visites:40', 'Nouveau:15', 'Offre:70', 'Gagné:100', 'Perdu:0'], 'stages are saved in order, won stays at 100 %');
select is((select loss_reasons from public.pipelines where id = (select pa from k)),
  array['Prix', 'Délai'], 'the loss reasons are saved');

select * from finish();
rollback;
