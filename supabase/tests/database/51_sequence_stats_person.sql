-- The sequences page counts a person's events only, the dashboard's rule
-- (20261208170000_sequence_stats_person_events.sql): an open or a click flagged
-- `bot` (privacy proxy, link scanner) is not an opened / clicked send in the
-- list (sequence_overview) nor in the funnel (sequence_step_stats), a person's
-- is, and the A/B test's numbers (private.ab_variant_stats) leave bot clicks out.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(9);

-- Anne (already in the base) and Alain: one e-mail step with variants A and B, launched.
insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id)
values (tests.tenant('a'), 'ba000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a2');
select tests.authenticate_as(tests.uid('a_agent'));
insert into public.sequences (tenant_id, name, audience, prospect_base_id)
values (tests.tenant('a'), 'Vendeurs Neuilly (robots)', 'base', 'ba000000-0000-4000-8000-0000000000a1')
returning id as s \gset
select public.save_sequence_steps(:'s', '[{"day_offset":0,"channel":"email","condition":"always","variants":[
  {"key":"A","subject":"Bonjour {{firstName}}","body":"{{agencyName}} estime votre bien."},
  {"key":"B","subject":"Votre estimation offerte","body":"{{agencyName}} vous offre une estimation."}]}]') is not null as saved \gset
select public.set_sequence_state(:'s', 'launch') is not null as launched \gset
select tests.clear_authentication();
select id as step from public.sequence_steps where sequence_id = :'s' and position = 1 \gset

-- Anne gets variant A, Alain variant B; both delivered.
insert into public.message_sends (tenant_id, enrolment_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, sent_at)
select e.tenant_id, e.id, :'step', :'s', e.contact_id, 'email', e.id || ':' || :'step',
       case when e.contact_id = 'c0000000-0000-4000-8000-0000000000a1' then 'A' else 'B' end, 'delivered', now() - interval '1 hour'
  from public.sequence_enrolments e where e.sequence_id = :'s';
select id as send_a from public.message_sends where sequence_id = :'s' and variant = 'A' \gset
select id as send_b from public.message_sends where sequence_id = :'s' and variant = 'B' \gset

-- A: only a privacy proxy's open and a link scanner's click. B: a proxy's open, then Alain's own open.
insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, payload, occurred_at) values
  (tests.tenant('a'), :'send_a', 'c0000000-0000-4000-8000-0000000000a1', 'opened', 'track', 'bot-open-a', '{"bot": true, "proxy": "apple_mpp", "indicative": true}', now() - interval '50 minutes'),
  (tests.tenant('a'), :'send_a', 'c0000000-0000-4000-8000-0000000000a1', 'clicked', 'track', 'bot-click-a', '{"bot": true, "why": "too_fast", "link": "https://example.fr"}', now() - interval '50 minutes'),
  (tests.tenant('a'), :'send_b', 'c0000000-0000-4000-8000-0000000000a2', 'opened', 'track', 'bot-open-b', '{"bot": true, "proxy": "gmail_proxy", "indicative": true}', now() - interval '50 minutes'),
  (tests.tenant('a'), :'send_b', 'c0000000-0000-4000-8000-0000000000a2', 'opened', 'track', 'person-open-b', '{"bot": false, "indicative": true}', now() - interval '20 minutes');

select tests.authenticate_as(tests.uid('a_assistant'));
select is((select array[sent, opened, clicked] from public.sequence_step_stats(:'s') where variant = 'A'), array[1, 0, 0]::bigint[],
          'funnel, variant A: a proxy''s open and a scanner''s click make no opened or clicked send');
select is((select array[sent, opened, clicked] from public.sequence_step_stats(:'s') where variant = 'B'), array[1, 1, 0]::bigint[],
          'funnel, variant B: the person''s open after the proxy''s counts once');
select is((select array[sent, opened, clicked]::int[] from public.sequence_overview(tests.tenant('a')) where id = :'s'), array[2, 1, 0],
          'the list: 2 sent, 1 opened (the person''s), 0 clicked');
select is((select opened::int from public.sequence_overview(tests.tenant('a')) where id = :'s'),
          (select sum(opened)::int from public.analytics_send_rollup where sequence_id = :'s'),
          'the list''s opened sends equal the dashboard rollup''s for the same sends');

select tests.clear_authentication();
select is((select array_agg(variant || ':' || sends || ':' || successes order by variant) from private.ab_variant_stats(tests.tenant('a'), :'step', 'click')),
          array['A:1:0', 'B:1:0'], 'the A/B numbers leave the scanner''s click out');

-- Anne herself clicks: a person's click is a clicked send (and an opened one, as before).
insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, payload, occurred_at)
values (tests.tenant('a'), :'send_a', 'c0000000-0000-4000-8000-0000000000a1', 'clicked', 'track', 'person-click-a', '{"bot": false, "link": "https://example.fr"}', now() - interval '10 minutes');
select is((select array_agg(variant || ':' || sends || ':' || successes order by variant) from private.ab_variant_stats(tests.tenant('a'), :'step', 'click')),
          array['A:1:1', 'B:1:0'], '… and count the person''s');

select tests.authenticate_as(tests.uid('a_assistant'));
select is((select array[opened, clicked] from public.sequence_step_stats(:'s') where variant = 'A'), array[1, 1]::bigint[],
          'funnel, variant A: the person''s click counts');
select is((select array[opened, clicked]::int[] from public.sequence_overview(tests.tenant('a')) where id = :'s'), array[2, 1],
          'the list: 2 opened, 1 clicked');

select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*)::int from public.sequence_step_stats(:'s')), 0, 'another agency still sees none of these figures');

select * from finish();
rollback;
