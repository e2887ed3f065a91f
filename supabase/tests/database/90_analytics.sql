-- Analytics: the RPCs' figures against direct SQL over the ledger, the
-- incremental rollups against a full rebuild, Paris day boundaries, duplicate
-- provider events, empty periods, bad input (other currency, deleted contact),
-- the ROI attribution rules, the benchmark's 10-tenant threshold, isolation.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();

select plan(50);

-- ---------------------------------------------------------------- fixtures (as the engine)
create temp table ids (k text primary key, id uuid not null) on commit drop;
grant select on ids to authenticated, anon;
insert into ids values
  ('seq', '5e000000-0000-4000-8000-0000000000a9'), ('step', '5e000000-0000-4000-8000-0000000000aa'),
  ('s1', '5e000000-0000-4000-8000-000000000001'), ('s2', '5e000000-0000-4000-8000-000000000002'),
  ('s3', '5e000000-0000-4000-8000-000000000003'), ('s4', '5e000000-0000-4000-8000-000000000004'),
  ('s5', '5e000000-0000-4000-8000-000000000005'), ('s6', '5e000000-0000-4000-8000-000000000006'),
  ('a1', 'c0000000-0000-4000-8000-0000000000a1'), ('a2', 'c0000000-0000-4000-8000-0000000000a2'),
  ('a3', 'c0000000-0000-4000-8000-0000000000a3');
create function pg_temp.id(k text) returns uuid language sql stable as $$ select id from ids where ids.k = $1 $$;
grant execute on function pg_temp.id(text) to authenticated, anon;

insert into sequences (id, tenant_id, name, status, audience, segment_filter)
values (pg_temp.id('seq'), tests.tenant('a'), 'Séquence analytique', 'draft', 'segment', '{}');
insert into sequence_steps (id, tenant_id, sequence_id, position, channel, variants)
values (pg_temp.id('step'), tests.tenant('a'), pg_temp.id('seq'), 1, 'email',
        '[{"key":"A","subject":"Objet A","body":"a"},{"key":"B","subject":"Objet B","body":"b"}]');

-- The week of 2 to 8 March 2026 (Paris). s3 is still queued; s4 failed; s5 is
-- Sunday 23:30 in Paris (Sunday 22:30 UTC); s6 is Monday 00:30 in Paris
-- (Sunday 23:30 UTC): in the next week.
insert into message_sends (id, tenant_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, queued_at, sent_at, segments) values
  (pg_temp.id('s1'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a1'), 'email', 'an:1', 'A', 'delivered', '2026-03-02 09:00 Europe/Paris', '2026-03-02 09:00 Europe/Paris', null),
  (pg_temp.id('s2'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a2'), 'email', 'an:2', 'B', 'sent', '2026-03-03 18:30 Europe/Paris', '2026-03-03 18:30 Europe/Paris', null),
  (pg_temp.id('s3'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a3'), 'email', 'an:3', 'B', 'queued', '2026-03-05 10:59 Europe/Paris', null, null),
  (pg_temp.id('s4'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a1'), 'email', 'an:4', 'A', 'failed', '2026-03-04 10:00 Europe/Paris', null, null),
  (pg_temp.id('s5'), tests.tenant('a'), null, null, pg_temp.id('a2'), 'sms', 'an:5', null, 'delivered', '2026-03-08 23:30 Europe/Paris', '2026-03-08 23:30 Europe/Paris', 2),
  (pg_temp.id('s6'), tests.tenant('a'), pg_temp.id('step'), pg_temp.id('seq'), pg_temp.id('a2'), 'email', 'an:6', 'A', 'delivered', '2026-03-09 00:30 Europe/Paris', '2026-03-09 00:30 Europe/Paris', null);
-- The worker sends s3 (update path of the triggers).
update message_sends set status = 'sending', sending_at = '2026-03-05 11:00 Europe/Paris' where id = pg_temp.id('s3');
update message_sends set status = 'sent', sent_at = '2026-03-05 11:00 Europe/Paris' where id = pg_temp.id('s3');

insert into message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at) values
  (tests.tenant('a'), pg_temp.id('s1'), pg_temp.id('a1'), 'delivered', 'brevo', 'an-e1', '2026-03-02 09:01 Europe/Paris'),
  (tests.tenant('a'), pg_temp.id('s1'), pg_temp.id('a1'), 'opened', 'brevo', 'an-e2', '2026-03-02 10:00 Europe/Paris'),
  (tests.tenant('a'), pg_temp.id('s1'), pg_temp.id('a1'), 'clicked', 'brevo', 'an-e4', '2026-03-02 10:02 Europe/Paris'),
  (tests.tenant('a'), pg_temp.id('s2'), pg_temp.id('a2'), 'soft_bounced', 'brevo', 'an-e5', '2026-03-03 18:31 Europe/Paris'),
  (tests.tenant('a'), pg_temp.id('s5'), pg_temp.id('a2'), 'replied', 'twilio', 'an-e6', '2026-03-09 08:00 Europe/Paris'),
  (tests.tenant('a'), pg_temp.id('s6'), pg_temp.id('a2'), 'opened', 'brevo', 'an-e7', '2026-03-09 09:00 Europe/Paris');
-- Later deliveries in their own statements: a second open of s1 (counts once), its reply.
insert into message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
values (tests.tenant('a'), pg_temp.id('s1'), pg_temp.id('a1'), 'opened', 'brevo', 'an-e3', '2026-03-03 08:00 Europe/Paris');
insert into message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
values (tests.tenant('a'), pg_temp.id('s1'), pg_temp.id('a1'), 'replied', 'brevo', 'an-e8', '2026-03-03 09:00 Europe/Paris');

-- Direct SQL over the ledger: sends of the week and the sends with each event.
create temp view direct_week as
  select s.*, exists (select 1 from message_events e where e.send_id = s.id and e.type = 'opened') as was_opened,
         exists (select 1 from message_events e where e.send_id = s.id and e.type = 'clicked') as was_clicked,
         exists (select 1 from message_events e where e.send_id = s.id and e.type = 'replied') as was_replied,
         exists (select 1 from message_events e where e.send_id = s.id and e.type in ('bounced', 'soft_bounced')) as was_bounced
    from message_sends s
   where s.tenant_id = tests.tenant('a') and s.status in ('sent', 'delivered')
     and (coalesce(s.sent_at, s.queued_at) at time zone 'Europe/Paris')::date between '2026-03-02' and '2026-03-08';
grant select on direct_week to authenticated;

-- ---------------------------------------------------------------- engagement
select tests.authenticate_as(tests.uid('a_assistant'));
create temp table r_eng on commit drop as select analytics_engagement(tests.tenant('a'), '2026-03-02', '2026-03-08') as j;
select is((select (j #>> '{current,sent}')::int from r_eng), (select count(*)::int from direct_week), 'engagement: sent equals the ledger''s sent sends of the Paris week');
select is((select (j #>> '{current,sent}')::int from r_eng), 4, 'engagement: 4 sends (queued→sent counted, failed and next-Monday-in-Paris not)');
select is((select (j #>> '{current,opened}')::int from r_eng), (select count(*)::int from direct_week where was_opened), 'engagement: opened = sends with an open (a second open counts once)');
select is((select (j #>> '{current,clicked}')::int from r_eng), (select count(*)::int from direct_week where was_clicked), 'engagement: clicked matches the ledger');
select is((select (j #>> '{current,replied}')::int from r_eng), (select count(*)::int from direct_week where was_replied), 'engagement: replied matches the ledger (a reply after the week counts for its send)');
select is((select (j #>> '{current,bounced}')::int from r_eng), (select count(*)::int from direct_week where was_bounced), 'engagement: soft bounces count as bounces');
select is((select (j #>> '{current,failed}')::int from r_eng), 1, 'engagement: the failed send is reported apart');
select is((select (j #>> '{current,open_rate}')::numeric from r_eng), round(1 / 4.0, 4), 'engagement: open rate = opened / sent');
select is((select jsonb_array_length(j -> 'daily') from r_eng), 7, 'engagement: one daily point per day of the period, empty days included');
select is((select (j #>> '{previous,sent}')::int from r_eng), 0, 'engagement: the previous week had no send');
select is((select (j #>> '{previous,open_rate}') from r_eng), null, 'engagement: a rate over no send is null, not NaN');
select is((select sum((c ->> 'segments')::int) from r_eng, jsonb_array_elements(j -> 'by_channel') c where c ->> 'channel' = 'sms'), 2::bigint, 'engagement: SMS segments summed per channel');

-- ---------------------------------------------------------------- funnel
create temp table r_fun on commit drop as select analytics_funnel(tests.tenant('a'), '2026-03-02', '2026-03-08') as j;
select is((select (j #>> '{current,contacted}')::int from r_fun),
          (select count(*)::int from (select contact_id, min(coalesce(sent_at, queued_at)) as first_at from message_sends
                                        where tenant_id = tests.tenant('a') and status in ('sent', 'delivered') and contact_id is not null group by 1) f
            where f.first_at >= '2026-03-02 00:00 Europe/Paris' and f.first_at < '2026-03-09 00:00 Europe/Paris'),
          'funnel: contacted = contacts whose first send falls in the period');
select is((select (j #>> '{current,engaged}')::int from r_fun),
          (select count(distinct s.contact_id)::int from direct_week s join message_events e on e.send_id = s.id and e.type in ('opened', 'clicked', 'replied')),
          'funnel: engaged = contacted contacts that opened, clicked or replied since');
select is((select (j #>> '{current,qualified}')::int from r_fun), 2, 'funnel: a1 and a2 have a deal (qualified), a3 none');
select ok((select (j #>> '{current,prospects}')::int >= (j #>> '{current,contacted}')::int
              and (j #>> '{current,contacted}')::int >= (j #>> '{current,engaged}')::int
              and (j #>> '{current,engaged}')::int >= (j #>> '{current,qualified}')::int from r_fun), 'funnel: every step is a subset of the one before');
select tests.clear_authentication();

-- ---------------------------------------------------------------- templates, heat map, segments
select tests.authenticate_as(tests.uid('a_agent'));
select is((select (t ->> 'sent')::int from jsonb_array_elements(analytics_templates(tests.tenant('a'), '2026-03-02', '2026-03-08')) t where t ->> 'variant' = 'B'),
          (select count(*)::int from direct_week where step_id = pg_temp.id('step') and variant = 'B'), 'templates: variant B sends match the ledger');
select is((select t ->> 'subject' from jsonb_array_elements(analytics_templates(tests.tenant('a'), '2026-03-02', '2026-03-08')) t where t ->> 'variant' = 'A'),
          'Objet A', 'templates: the variant''s subject comes from the step');
select is((select (c ->> 'sent')::int from jsonb_array_elements(analytics_heatmap(tests.tenant('a'), '2026-03-02', '2026-03-08')) c
            where (c ->> 'dow')::int = 7 and (c ->> 'hour')::int = 23), 1, 'heat map: the SMS of Sunday 23:30 is in Paris''s Sunday 23 h cell');
select is((select sum((c ->> 'sent')::int) from jsonb_array_elements(analytics_heatmap(tests.tenant('a'), '2026-03-02', '2026-03-08')) c),
          (select count(*) from direct_week), 'heat map: the cells add up to the sends of the period');
select is((select (s ->> 'contacted')::int from jsonb_array_elements(analytics_segments(tests.tenant('a'), '2026-03-02', '2026-03-08')) s where s ->> 'name' = 'Neuilly 2026'),
          1, 'segments: the base holds one of the contacted contacts (a1)');
select tests.clear_authentication();

-- ---------------------------------------------------------------- incremental = rebuild
create temp table before_rebuild on commit drop as
  select (select md5(string_agg(to_jsonb(r)::text, ',' order by to_jsonb(r)::text)) from analytics_send_rollup r where tenant_id = tests.tenant('a')) as rollup,
         (select md5(string_agg((to_jsonb(m) - 'updated_at')::text, ',' order by (to_jsonb(m) - 'updated_at')::text)) from analytics_contact_milestones m where tenant_id = tests.tenant('a')) as milestones;
select from private.analytics_rebuild(tests.tenant('a'));
select is((select md5(string_agg(to_jsonb(r)::text, ',' order by to_jsonb(r)::text)) from analytics_send_rollup r where tenant_id = tests.tenant('a')),
          (select rollup from before_rebuild), 'the trigger-maintained send rollup equals a full rebuild');
select is((select md5(string_agg((to_jsonb(m) - 'updated_at')::text, ',' order by (to_jsonb(m) - 'updated_at')::text)) from analytics_contact_milestones m where tenant_id = tests.tenant('a')),
          (select milestones from before_rebuild), 'the trigger-maintained milestones equal a full rebuild');

-- ---------------------------------------------------------------- empty period and bad input
select tests.authenticate_as(tests.uid('a_assistant'));
select is((select analytics_engagement(tests.tenant('a'), '2025-01-01', '2025-01-31') #>> '{current,sent}'), '0', 'empty period: 0 sends');
select is((select analytics_engagement(tests.tenant('a'), '2025-01-01', '2025-01-31') #>> '{current,reply_rate}'), null, 'empty period: rates are null');
select is((select analytics_funnel(tests.tenant('a'), '2025-01-01', '2025-01-31') #>> '{current,contacted}'), '0', 'empty period: nobody contacted');
select is(analytics_templates(tests.tenant('a'), '2025-01-01', '2025-01-31'), '[]'::jsonb, 'empty period: no template');
select is(analytics_heatmap(tests.tenant('a'), '2025-01-01', '2025-01-31'), '[]'::jsonb, 'empty period: empty heat map');
select is(analytics_segments(tests.tenant('a'), '2025-01-01', '2025-01-31'), '[]'::jsonb, 'empty period: no segment');
select is((select analytics_pipeline(tests.tenant('a'), '2025-01-01', '2025-01-31') -> 'loss_reasons'), '[]'::jsonb, 'empty period: no loss reason');
select is(tests.error_of(format($$select analytics_engagement(%L, '2026-03-08', '2026-03-02')$$, tests.tenant('a'))), '22023', 'a period ending before it starts is refused');
select tests.clear_authentication();

-- Deals won today: a1's in euros, a2's in Swiss francs (counted, not converted).
update deals set currency = 'CHF' where id = 'd0000000-0000-4000-8000-0000000000a2';
update deals set stage_id = (select id from pipeline_stages where tenant_id = tests.tenant('a') and kind = 'won')
 where id in ('d0000000-0000-4000-8000-0000000000a1', 'd0000000-0000-4000-8000-0000000000a2');
select tests.authenticate_as(tests.uid('a_owner'));
create temp table r_pipe on commit drop as
  select analytics_pipeline(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date) as j;
select is((select (j #>> '{current,won_count}')::int from r_pipe),
          (select count(*)::int from deals d join pipeline_stages s on s.id = d.stage_id where d.tenant_id = tests.tenant('a') and s.kind = 'won'), 'pipeline: won deals of the day match the deals table');
select is((select (j #>> '{current,won_value}')::numeric from r_pipe), 850000::numeric, 'pipeline: won value sums EUR deals only');
select is((select (j #>> '{current,other_currency}')::int from r_pipe), 1, 'pipeline: the CHF deal is counted apart');
select is((select analytics_funnel(tests.tenant('a'), '2026-03-02', '2026-03-08') #>> '{current,won}'), '2', 'funnel: a1 and a2 won after being contacted in the period (whatever the currency)');

-- ---------------------------------------------------------------- ROI
select is((select analytics_roi(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date, 'any_touch', 5, 5) #>> '{revenue,attributed_deals}'),
          '0', 'ROI any touch, 5 days: no sequence message in the 5 days before the win');
select is((select analytics_roi(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date, 'any_touch', 365, 5) #>> '{revenue,attributed_fees}')::numeric,
          42500::numeric, 'ROI any touch, 365 days: 5 % of the EUR deal is attributed');
select is((select analytics_roi(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date, 'first_touch', 365, 5) #>> '{revenue,attributed_deals}'),
          '1', 'ROI first touch: the sequence message came before the agent''s call');
select is((select analytics_roi(tests.tenant('a'), (now() at time zone 'Europe/Paris')::date, (now() at time zone 'Europe/Paris')::date, 'last_touch', 365, 5) #>> '{revenue,attributed_deals}'),
          '0', 'ROI last touch: the agent''s call was the last touch');
select is(tests.error_of(format($$select analytics_roi(%L, current_date, current_date, 'magic', 90, 5)$$, tests.tenant('a'))), '22023', 'ROI: an unknown model is refused');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format($$select analytics_roi(%L, current_date, current_date)$$, tests.tenant('a'))), '42501', 'ROI: costs are for admins (an agent is refused)');
select tests.clear_authentication();

-- ---------------------------------------------------------------- hot leads: a deleted contact
insert into message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
values (tests.tenant('a'), pg_temp.id('s6'), pg_temp.id('a2'), 'clicked', 'brevo', 'an-e9', now() - interval '1 hour');
update contacts set deleted_at = now() where id = pg_temp.id('a2');
select tests.authenticate_as(tests.uid('a_agent'));
select is((select l -> 'deleted' from jsonb_array_elements(analytics_hot_leads(tests.tenant('a'))) l where l ->> 'contact_id' = pg_temp.id('a2')::text),
          'true'::jsonb, 'hot leads: a deleted contact is flagged and its name withheld');
select tests.clear_authentication();

-- ---------------------------------------------------------------- isolation
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format($$select analytics_engagement(%L, '2026-03-02', '2026-03-08')$$, tests.tenant('a'))), '42501', 'a member of B cannot read A''s engagement');
select is(tests.error_of(format($$select analytics_dashboard(%L, '2026-03-02', '2026-03-08')$$, tests.tenant('a'))), '42501', 'a member of B cannot read A''s dashboard');
select is(tests.error_of(format($$select analytics_benchmark(%L, '2026-03-02', '2026-03-08')$$, tests.tenant('a'))), '42501', 'a member of B cannot ask for A''s benchmark');
select tests.authenticate_as_anon();
select is(tests.error_of(format($$select analytics_benchmark(%L, '2026-03-02', '2026-03-08')$$, tests.tenant('b'))), '42501', 'anon cannot call the benchmark');
select tests.clear_authentication();

-- ---------------------------------------------------------------- benchmark threshold
-- A alone sent in that week: no figure. Nine more agencies of its size: ten contributors, aggregates only.
select tests.authenticate_as(tests.uid('a_owner'));
select is((select analytics_benchmark(tests.tenant('a'), '2026-03-02', '2026-03-08') -> 'available'), 'false'::jsonb, 'benchmark: under 10 contributing agencies, nothing is shown');
select tests.clear_authentication();
insert into tenants (id, slug, legal_name) select ('be000000-0000-4000-8000-00000000000' || i)::uuid, 'bench-' || i, 'Agence Bench ' || i from generate_series(1, 9) i;
insert into analytics_send_rollup (tenant_id, day, hour, channel, sent, opened, replied)
select ('be000000-0000-4000-8000-00000000000' || i)::uuid, '2026-03-03', 10, 'email', 100, 10 * i, i from generate_series(1, 9) i;
select tests.authenticate_as(tests.uid('a_owner'));
create temp table r_bench on commit drop as select analytics_benchmark(tests.tenant('a'), '2026-03-02', '2026-03-08') as j;
select is((select (j ->> 'contributors')::int from r_bench), 10, 'benchmark: ten agencies of the same size contribute');
select is((select (j #>> '{open_rate,median}')::numeric from r_bench),
          (select round(percentile_cont(0.5) within group (order by r)::numeric, 4) from (
             select 10 * i / 100.0 as r from generate_series(1, 9) i union all select 1 / 4.0) x),
          'benchmark: the median open rate is computed over the agencies'' own rates');
select ok(not (select j ? 'tenants' or j::text ~ 'be000000' from r_bench), 'benchmark: no agency is named');
select tests.clear_authentication();

select * from finish();
rollback;
