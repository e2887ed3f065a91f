-- Analytics rules (issue 9): engagement (and hot leads) count only sends that are sent and
-- only a person's events (not a privacy proxy's or a scanner's), through the
-- real webhook path (private.record_message_event) and the worker's status
-- changes; a won deal counts at coalesce(won_amount, value) on won_on
-- everywhere (won totals, dashboard, stage values, ROI, funnel milestone,
-- pipeline_stage_totals), not at its value on the day it was moved.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();

select plan(35);

create temp table ids (k text primary key, id uuid not null) on commit drop;
grant select on ids to authenticated, anon;
insert into ids values
  ('seq', '5e100000-0000-4000-8000-0000000000a9'), ('step', '5e100000-0000-4000-8000-0000000000aa'),
  ('r1', '5e100000-0000-4000-8000-000000000001'), ('r2', '5e100000-0000-4000-8000-000000000002'),
  ('r3', '5e100000-0000-4000-8000-000000000003'), ('r4', '5e100000-0000-4000-8000-000000000004'),
  ('r5', '5e100000-0000-4000-8000-000000000005'), ('r6', '5e100000-0000-4000-8000-000000000006'),
  ('r7', '5e100000-0000-4000-8000-000000000007'),
  ('a1', 'c0000000-0000-4000-8000-0000000000a1'), ('a2', 'c0000000-0000-4000-8000-0000000000a2'),
  ('a3', 'c0000000-0000-4000-8000-0000000000a3'),
  ('deal', 'd0000000-0000-4000-8000-0000000000a1');
create function pg_temp.id(k text) returns uuid language sql stable as $$ select id from ids where ids.k = $1 $$;
grant execute on function pg_temp.id(text) to authenticated, anon;

insert into sequences (id, tenant_id, name, status, audience, segment_filter)
values (pg_temp.id('seq'), tests.tenant('a'), 'Séquence règles', 'draft', 'segment', '{}');
insert into sequence_steps (id, tenant_id, sequence_id, position, channel, variants)
values (pg_temp.id('step'), tests.tenant('a'), pg_temp.id('seq'), 1, 'email', '[{"key":"A","subject":"Objet","body":"b"}]');

-- The week of 6 to 12 April 2026 (Paris).
--   r1 (a1) delivered: a proxy's open first, the person's open the next day → opened once;
--   r2 (a2) delivered: only a proxy's open → not opened, a2 not engaged;
--   r3 (a3) failed, yet opened and clicked (a provider's late report) → neither counts;
--   r4 (a1) delivered, opened, then hard-bounced: turns failed → its open leaves the figures, the bounce stays;
--   r5 (a3) sending when the delivery report arrives → sent and delivered once the report moves it;
--   r6 (a2) sending, opened before the worker records it sent → the open counts once it is sent;
--   r7 (a1) delivered on the 11th, after the deal was won (won_on the 10th).
insert into message_sends (id, tenant_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, queued_at, sent_at) values
  (pg_temp.id('r1'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a1'), 'email', 'ru:1', 'A', 'delivered', '2026-04-06 10:00 Europe/Paris', '2026-04-06 10:00 Europe/Paris'),
  (pg_temp.id('r2'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a2'), 'email', 'ru:2', 'A', 'delivered', '2026-04-07 10:00 Europe/Paris', '2026-04-07 10:00 Europe/Paris'),
  (pg_temp.id('r3'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a3'), 'email', 'ru:3', 'A', 'failed', '2026-04-08 10:00 Europe/Paris', null),
  (pg_temp.id('r4'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a1'), 'email', 'ru:4', 'A', 'delivered', '2026-04-09 10:00 Europe/Paris', '2026-04-09 10:00 Europe/Paris'),
  (pg_temp.id('r5'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a3'), 'email', 'ru:5', 'A', 'sending', '2026-04-10 09:00 Europe/Paris', '2026-04-10 09:00 Europe/Paris'),
  (pg_temp.id('r6'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a2'), 'email', 'ru:6', 'A', 'sending', '2026-04-10 10:00 Europe/Paris', '2026-04-10 10:00 Europe/Paris'),
  (pg_temp.id('r7'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a1'), 'email', 'ru:7', 'A', 'delivered', '2026-04-11 10:00 Europe/Paris', '2026-04-11 10:00 Europe/Paris');

select private.record_message_event('brevo', 'ru-1-mpp', 'opened', pg_temp.id('r1'), null, '2026-04-06 10:03 Europe/Paris', '{"bot": true, "proxy": "apple_mpp"}');
select private.record_message_event('brevo', 'ru-1-open', 'opened', pg_temp.id('r1'), null, '2026-04-07 08:00 Europe/Paris', '{"bot": false}');
select private.record_message_event('brevo', 'ru-2-mpp', 'opened', pg_temp.id('r2'), null, '2026-04-07 10:03 Europe/Paris', '{"bot": true, "proxy": "gmail"}');
select private.record_message_event('brevo', 'ru-3-open', 'opened', pg_temp.id('r3'), null, '2026-04-08 11:00 Europe/Paris', '{}');
select private.record_message_event('brevo', 'ru-3-click', 'clicked', pg_temp.id('r3'), null, '2026-04-08 11:01 Europe/Paris', '{}');
select private.record_message_event('brevo', 'ru-4-open', 'opened', pg_temp.id('r4'), null, '2026-04-09 10:30 Europe/Paris', '{}');
select is((select sum(opened)::int from analytics_send_rollup where tenant_id = tests.tenant('a') and day between '2026-04-06' and '2026-04-12'),
          2, 'rollup: r1 (the person''s open, not the proxy''s) and r4 opened; r2''s proxy open and the failed r3''s open are not counted');
select private.record_message_event('brevo', 'ru-4-bounce', 'bounced', pg_temp.id('r4'), null, '2026-04-09 11:00 Europe/Paris', '{"reason": "hard_bounce"}');
select is((select status::text from message_sends where id = pg_temp.id('r4')), 'failed', 'a hard bounce turns the send failed');
select private.record_message_event('brevo', 'ru-5-delivered', 'delivered', pg_temp.id('r5'), null, '2026-04-10 09:01 Europe/Paris', '{}');
select is((select status::text from message_sends where id = pg_temp.id('r5')), 'delivered', 'the delivery report moves a sending send to delivered');
select private.record_message_event('brevo', 'ru-6-open', 'opened', pg_temp.id('r6'), null, '2026-04-10 10:05 Europe/Paris', '{}');
update message_sends set status = 'sent' where id = pg_temp.id('r6');  -- the worker records the provider's acceptance

-- The documented rule in plain SQL: sent sends of the week, and those with a person's event.
create temp view rule_week as
  select s.*, exists (select 1 from message_events e where e.send_id = s.id and e.type = 'opened' and coalesce(e.payload ->> 'bot', '') <> 'true') as was_opened,
         exists (select 1 from message_events e where e.send_id = s.id and e.type = 'clicked' and coalesce(e.payload ->> 'bot', '') <> 'true') as was_clicked,
         exists (select 1 from message_events e where e.send_id = s.id and e.type = 'delivered') as was_delivered
    from message_sends s
   where s.tenant_id = tests.tenant('a') and s.status in ('sent', 'delivered')
     and (coalesce(s.sent_at, s.queued_at) at time zone 'Europe/Paris')::date between '2026-04-06' and '2026-04-12';
grant select on rule_week to authenticated;

select tests.authenticate_as(tests.uid('a_assistant'));
create temp table r_eng on commit drop as select analytics_engagement(tests.tenant('a'), '2026-04-06', '2026-04-12') as j;
select is((select (j #>> '{current,sent}')::int from r_eng), 5, 'engagement: r1, r2, r5, r6, r7 are sent (r3 failed, r4 bounced)');
select is((select (j #>> '{current,sent}')::int from r_eng), (select count(*)::int from rule_week), 'engagement: sent follows the rule');
select is((select (j #>> '{current,opened}')::int from r_eng), 2, 'engagement: r1 and r6 opened (proxy, failed and bounced sends'' opens left out)');
select is((select (j #>> '{current,opened}')::int from r_eng), (select count(*)::int from rule_week where was_opened), 'engagement: opened follows the rule');
select is((select (j #>> '{current,open_rate}')::numeric from r_eng), round(2 / 5.0, 4), 'engagement: open rate = sent sends opened by a person ÷ sent sends');
select is((select (j #>> '{current,clicked}')::int from r_eng), (select count(*)::int from rule_week where was_clicked), 'engagement: the failed send''s click is not counted');
select is((select (j #>> '{current,delivered}')::int from r_eng), (select count(*)::int from rule_week where was_delivered), 'engagement: a delivery report ahead of the status counts once the send is sent');
select is((select (j #>> '{current,bounced}')::int from r_eng), 1, 'engagement: the bounce of the send it failed is still counted');
select is((select (j #>> '{current,failed}')::int from r_eng), 2, 'engagement: r3 and the bounced r4 are failed');
select tests.clear_authentication();
select is((select engaged_at from analytics_contact_milestones where contact_id = pg_temp.id('a2')), '2026-04-10 10:05 Europe/Paris'::timestamptz,
          'milestones: a2 engaged with r6''s open, not with the proxy''s earlier fetch of r2');

-- ---------------------------------------------------------------- won revenue
-- a_agent wins deal a1 today, signed on 10 April for 800,000 € (value 850,000 €).
select tests.authenticate_as(tests.uid('a_agent'));
select lives_ok(format($$select move_deal(%L, (select id from pipeline_stages where tenant_id = %L and kind = 'won'), null, null, null, 800000, '2026-04-10')$$,
                       pg_temp.id('deal'), tests.tenant('a')), 'the agent records the win: 800,000 € signed on 10 April');
select tests.clear_authentication();
select is((select (won_amount, won_on, (closed_at at time zone 'Europe/Paris')::date = (now() at time zone 'Europe/Paris')::date)::text from deals where id = pg_temp.id('deal')),
          '(800000.00,2026-04-10,t)', 'the deal: won_amount 800,000 ≠ value 850,000, won_on 10 April, closed today');
select is((select (revenue, won_on, won_at)::text from private.won_deals where deal_id = pg_temp.id('deal')),
          (select (800000.00, '2026-04-10'::date, '2026-04-11 00:00 Europe/Paris'::timestamptz)::text), 'private.won_deals: revenue = won_amount, dated won_on, won at the end of that Paris day');

select tests.authenticate_as(tests.uid('a_owner'));
create temp table r_pipe on commit drop as select analytics_pipeline(tests.tenant('a'), '2026-04-06', '2026-04-12') as j;
select is((select (j #>> '{current,won_count}')::int from r_pipe), 1, 'pipeline: the deal is won in the week of its won_on');
select is((select (j #>> '{current,won_value}')::numeric from r_pipe), 800000::numeric, 'pipeline: at its won_amount, not its value');
select is((select (analytics_pipeline(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date) #>> '{current,won_count}')::int),
          0, 'pipeline: nothing won on the day the card was moved');
select is((select (s ->> 'value')::numeric from r_pipe, jsonb_array_elements(j -> 'stages') s where s ->> 'kind' = 'won' and s ->> 'pipeline_name' = 'Ventes'),
          800000::numeric, 'pipeline: the won stage''s value counts the deal at its won_amount');
select is((select (analytics_dashboard(tests.tenant('a'), '2026-04-06', '2026-04-12') #>> '{pipeline,current,won_value}')::numeric),
          800000::numeric, 'dashboard: the home "gagné" KPI reads the same won revenue');
select is((select total_value from pipeline_stage_totals where tenant_id = tests.tenant('a') and kind = 'won'), 800000.00::numeric(16, 2),
          'pipeline_stage_totals: the won stage totals the won revenue');

create temp table r_roi on commit drop as select analytics_roi(tests.tenant('a'), '2026-04-06', '2026-04-12', 'any_touch', 90, 5) as j;
select is((select (j #>> '{revenue,won_value}')::numeric from r_roi), 800000::numeric, 'ROI: won value = the won_amount');
select is((select (j #>> '{revenue,attributed_fees}')::numeric from r_roi), 40000::numeric, 'ROI: 5 % fees on 800,000 €, attributed on won_on''s week');
select is((select (d ->> 'revenue')::numeric from r_roi, jsonb_array_elements(j -> 'deals') d), 800000::numeric, 'ROI: the deal line carries its revenue');
select is((select d ->> 'won_on' from r_roi, jsonb_array_elements(j -> 'deals') d), '2026-04-10', 'ROI: and its won_on');
select is((select (d ->> 'platform_touches')::int from r_roi, jsonb_array_elements(j -> 'deals') d), 1,
          'ROI: touches before the win on won_on only (r1; r3 and r4 failed, r7 came the day after)');
select is((select analytics_roi(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date, 'any_touch', 90, 5) #>> '{revenue,won_deals}'),
          '0', 'ROI: nothing won on the day the card was moved');
select tests.clear_authentication();

select is((select won_at from analytics_contact_milestones where contact_id = pg_temp.id('a1')), '2026-04-11 00:00 Europe/Paris'::timestamptz,
          'funnel: a1''s won milestone is the win''s date, not the move''s');

-- ---------------------------------------------------------------- hot leads: a person's events only
select private.record_message_event('brevo', 'ru-5-scan', 'clicked', pg_temp.id('r5'), null, now() - interval '1 hour', '{"bot": true, "why": "scanner"}');
select private.record_message_event('brevo', 'ru-6-reply', 'replied', pg_temp.id('r6'), null, now() - interval '30 minutes', '{}');
select tests.authenticate_as(tests.uid('a_agent'));
select is((select count(*)::int from jsonb_array_elements(analytics_hot_leads(tests.tenant('a'))) l where l ->> 'contact_id' = pg_temp.id('a3')::text),
          0, 'hot leads: a link scanner''s click makes nobody a hot lead');
select is((select (l ->> 'score')::int from jsonb_array_elements(analytics_hot_leads(tests.tenant('a'))) l where l ->> 'contact_id' = pg_temp.id('a2')::text),
          5, 'hot leads: a person''s reply scores 5');
select tests.clear_authentication();

-- ---------------------------------------------------------------- funnel pool = its definition
-- a1 soft-deleted on 7 April, after its first send on the 6th; the fixture contacts were created
-- today, after these April sends (a contact contacted "before" it existed: the counts must agree anyway).
update contacts set deleted_at = '2026-04-07 12:00 Europe/Paris' where id = pg_temp.id('a1');
-- c4 since January, never contacted; c5 created on 9 April; c6 deleted on 10 April; c7 deleted on
-- 10 April after a send on the 5th.
insert into contacts (id, tenant_id, kind, first_name, last_name, created_at, deleted_at) values
  ('c0000000-0000-4000-8000-0000000000c4', tests.tenant('a'), 'person', 'Carole', 'Quatre', '2026-01-02 10:00 Europe/Paris', null),
  ('c0000000-0000-4000-8000-0000000000c5', tests.tenant('a'), 'person', 'Cyril', 'Cinq', '2026-04-09 12:00 Europe/Paris', null),
  ('c0000000-0000-4000-8000-0000000000c6', tests.tenant('a'), 'person', 'Chantal', 'Six', '2026-01-02 10:00 Europe/Paris', '2026-04-10 09:00 Europe/Paris'),
  ('c0000000-0000-4000-8000-0000000000c7', tests.tenant('a'), 'person', 'Claude', 'Sept', '2026-01-02 10:00 Europe/Paris', '2026-04-10 09:00 Europe/Paris');
insert into message_sends (tenant_id, contact_id, channel, idempotency_key, status, queued_at, sent_at)
values (tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000c7', 'email', 'ru:c7', 'delivered', '2026-04-05 10:00 Europe/Paris', '2026-04-05 10:00 Europe/Paris');
create temp table pool_direct on commit drop as
  select p.f, p.t, (select count(*) from contacts c left join analytics_contact_milestones m on m.tenant_id = c.tenant_id and m.contact_id = c.id
                     where c.tenant_id = tests.tenant('a') and c.created_at < b.hi and (c.deleted_at is null or c.deleted_at >= b.lo)
                       and (m.contacted_at is null or m.contacted_at >= b.lo)) as n
    from (values ('2026-04-06'::date, '2026-04-12'::date), ('2026-04-08', '2026-04-09'), ('2026-04-11', '2026-04-12'),
                 ((now() at time zone 'Europe/Paris')::date - 29, (now() at time zone 'Europe/Paris')::date),
                 ((now() at time zone 'Europe/Paris')::date + 1, (now() at time zone 'Europe/Paris')::date + 2)) p(f, t)
    cross join private.analytics_bounds(p.f, p.t) b;
grant select on pool_direct to authenticated;
select tests.authenticate_as(tests.uid('a_owner'));
select is((select array_agg(private.analytics_pool_count(tests.tenant('a'), b.lo, b.hi) order by d.f) from pool_direct d cross join private.analytics_bounds(d.f, d.t) b),
          (select array_agg(n order by f) from pool_direct),
          'funnel pool: the four index counts equal the definition (deleted, contacted before, created after, future period)');
select is((select array_agg(n order by f) from pool_direct), array[3, 3, 2, 2, 2]::bigint[],
          'funnel pool: c4, c5 and c6 in April''s week (a1 deleted, a2 and a3 contacted, c7 both), c6 gone from the 11th');
select tests.clear_authentication();

-- ---------------------------------------------------------------- incremental = rebuild
create temp table before_rebuild on commit drop as
  select (select md5(string_agg(to_jsonb(r)::text, ',' order by to_jsonb(r)::text)) from analytics_send_rollup r where tenant_id = tests.tenant('a')) as rollup,
         (select md5(string_agg((to_jsonb(m) - 'updated_at')::text, ',' order by (to_jsonb(m) - 'updated_at')::text)) from analytics_contact_milestones m where tenant_id = tests.tenant('a')) as milestones;
select from private.analytics_rebuild(tests.tenant('a'));
select is((select md5(string_agg(to_jsonb(r)::text, ',' order by to_jsonb(r)::text)) from analytics_send_rollup r where tenant_id = tests.tenant('a')),
          (select rollup from before_rebuild), 'the trigger-maintained send rollup (bounce, late status, proxies) equals a rebuild');
select is((select md5(string_agg((to_jsonb(m) - 'updated_at')::text, ',' order by (to_jsonb(m) - 'updated_at')::text)) from analytics_contact_milestones m where tenant_id = tests.tenant('a')),
          (select milestones from before_rebuild), 'the trigger-maintained milestones (won on won_on) equal a rebuild');

select * from finish();
rollback;
