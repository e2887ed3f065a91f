-- A/B winner: two-proportion z-test after the minimum sample per variant, on
-- the sequence's metric; decision, numbers and date stored; bot clicks never
-- count; a user's override sticks; the winner takes the remaining traffic.
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(17);

update tenants set plan = 'pro' where id = tests.tenant('a');
insert into sequences (id, tenant_id, name, status, audience, ab_min_sample, ab_metric)
values ('c8a50000-0000-4000-8000-000000000001', tests.tenant('a'), 'AB reply', 'active', 'segment', 100, 'reply'),
       ('c8a50000-0000-4000-8000-000000000002', tests.tenant('a'), 'AB click', 'active', 'segment', 100, 'click');
insert into sequence_steps (id, tenant_id, sequence_id, position, channel, variants) values
  ('c8a60000-0000-4000-8000-000000000001', tests.tenant('a'), 'c8a50000-0000-4000-8000-000000000001', 1, 'email',
   '[{"key":"A","subject":"A","body":"a"},{"key":"B","subject":"B","body":"b"}]'),
  ('c8a60000-0000-4000-8000-000000000002', tests.tenant('a'), 'c8a50000-0000-4000-8000-000000000002', 1, 'email',
   '[{"key":"A","subject":"A","body":"a"},{"key":"B","subject":"B","body":"b"}]');

-- n sends of a variant, the first k of them with an event of `type` (bot or not).
create or replace function pg_temp.sends(p_step uuid, p_seq uuid, p_variant text, p_n int, p_k int, p_type message_event_type, p_bot boolean default false)
returns void language plpgsql as $$
begin
  insert into message_sends (tenant_id, step_id, sequence_id, channel, idempotency_key, variant, status, queued_at, sent_at)
  select tests.tenant('a'), p_step, p_seq, 'email', 'ab:' || p_step || ':' || p_variant || ':' || p_n || ':' || i || ':' || p_bot, p_variant, 'sent',
         now() - interval '2 days', now() - interval '2 days'
    from generate_series(1, p_n) i;
  insert into message_events (tenant_id, send_id, type, provider, provider_event_id, payload)
  select tests.tenant('a'), ms.id, p_type, 'test', 'ab-ev:' || ms.id, jsonb_build_object('bot', p_bot)
    from message_sends ms where ms.step_id = p_step and ms.variant = p_variant and ms.idempotency_key like 'ab:' || p_step || ':' || p_variant || ':' || p_n || ':%:' || p_bot
   order by ms.idempotency_key limit p_k;
end $$;

-- The statistics themselves.
select ok(abs(private.normal_cdf(1.959964) - 0.975) < 1e-6, 'Φ(1.96) = 0.975');
select ok(abs((select z from private.two_proportion_z_test(30, 120, 10, 120)) - 3.4641) < 1e-3, 'z for 30/120 vs 10/120 is 3.464');
select ok((select p_value from private.two_proportion_z_test(30, 120, 10, 120)) between 0.0005 and 0.0006, 'two-sided p ≈ 0.00053');

-- Under the minimum sample: no decision.
select pg_temp.sends('c8a60000-0000-4000-8000-000000000001', 'c8a50000-0000-4000-8000-000000000001', 'A', 90, 30, 'replied');
select pg_temp.sends('c8a60000-0000-4000-8000-000000000001', 'c8a50000-0000-4000-8000-000000000001', 'B', 90, 5, 'replied');
select is(private.decide_ab_winners(now()), 0, 'below 100 sends per variant nothing is decided');
select is((select winner_variant from sequence_steps where id = 'c8a60000-0000-4000-8000-000000000001'), null, '… the split stays even');

-- Over it, significant: A wins, with its numbers and date.
select pg_temp.sends('c8a60000-0000-4000-8000-000000000001', 'c8a50000-0000-4000-8000-000000000001', 'A', 30, 0, 'replied');
select pg_temp.sends('c8a60000-0000-4000-8000-000000000001', 'c8a50000-0000-4000-8000-000000000001', 'B', 30, 5, 'replied');
select is(private.decide_ab_winners(now()), 1, 'with 120 sends per variant and 30 vs 10 replies, a winner is chosen');
select is((select winner_variant from sequence_steps where id = 'c8a60000-0000-4000-8000-000000000001'), 'A', 'A wins');
select is((select winner_stats -> 'variants' -> 'A' ->> 'sends' || '/' || (winner_stats -> 'variants' -> 'B' ->> 'successes') || '/' || (winner_stats ->> 'decided_by') || '/' || (winner_stats ->> 'metric')
             from sequence_steps where id = 'c8a60000-0000-4000-8000-000000000001'), '120/10/test/reply', 'the numbers, the metric and who decided are stored');
select ok((select (winner_stats ->> 'p_value')::float < 0.05 and winner_decided_at is not null from sequence_steps where id = 'c8a60000-0000-4000-8000-000000000001'),
          '… with the p-value and the date');
select is((select count(*)::int from events where type = 'sequence.ab_decided' and tenant_id = tests.tenant('a')), 1, 'a domain event tells the app');

-- Click metric: bot clicks do not count, so no significant difference here.
select pg_temp.sends('c8a60000-0000-4000-8000-000000000002', 'c8a50000-0000-4000-8000-000000000002', 'A', 100, 12, 'clicked');
select pg_temp.sends('c8a60000-0000-4000-8000-000000000002', 'c8a50000-0000-4000-8000-000000000002', 'B', 100, 10, 'clicked');
insert into message_events (tenant_id, send_id, type, provider, provider_event_id, payload)
select tests.tenant('a'), ms.id, 'clicked', 'test', 'bot-click:' || ms.id, '{"bot": true}'
  from message_sends ms where ms.step_id = 'c8a60000-0000-4000-8000-000000000002' and ms.variant = 'A' order by ms.idempotency_key offset 12 limit 60;
select is(private.decide_ab_winners(now()), 0, '60 bot clicks on A change nothing: 12 vs 10 clicks is not significant');
select is((select (winner_stats -> 'variants' -> 'A' ->> 'successes') || '/' || coalesce(winner_stats ->> 'decided_by', 'none') from sequence_steps where id = 'c8a60000-0000-4000-8000-000000000002'),
          '12/none', '… the latest numbers are kept for the builder, undecided');

-- Override by a user, and it sticks.
select tests.authenticate_as(tests.uid('a_agent'));
select is((select winner_variant from set_ab_winner('c8a60000-0000-4000-8000-000000000002', 'B')), 'B', 'an agent forces B');
select is(tests.error_of($$select set_ab_winner('c8a60000-0000-4000-8000-000000000002', 'Z')$$), '22023', 'an unknown variant is refused');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of($$select set_ab_winner('c8a60000-0000-4000-8000-000000000002', 'A')$$), '42501', 'another tenant cannot override');
select tests.clear_authentication();

-- The winner takes the remaining traffic.
insert into contacts (tenant_id, kind, company_name, first_name, email)
select tests.tenant('a'), 'company', 'Société AB ' || i, 'P' || i, 'ab' || i || '@ab.fr' from generate_series(1, 8) i;
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select tests.tenant('a'), 'c8a50000-0000-4000-8000-000000000002', id, '2027-03-30 10:00 Europe/Paris' from contacts where email like 'ab%@ab.fr';
select private.enqueue_due_steps(100, '2027-03-30 10:00 Europe/Paris');
select is((select array_agg(distinct variant) from message_sends where to_address like 'ab%@ab.fr'), array['B'], 'every new send of the step uses the forced winner');
select is(private.decide_ab_winners(now()), 0, 'the automatic test leaves an overridden step alone');

select * from finish();
rollback;
