-- What 41/42 leave out: the sending clock (run_tick), the worker's gate
-- (temporary vs permanent refusals), provider throttling, the orphan sweep,
-- the dead-letter view, exit rules (deal won, max attempts), sequence pause and
-- resume without a burst, and versioned edits (an added step reaches only new
-- enrolments, running ones finish their version).
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(24);

update tenants set plan = 'pro' where id = tests.tenant('a');
insert into contacts (id, tenant_id, kind, company_name, first_name, email, phone) values
  ('c0000000-0000-4000-8000-00000000f001', tests.tenant('a'), 'company', 'Alpha Immo', 'Paul', 'paul@alpha.fr', '+33611188801'),
  ('c0000000-0000-4000-8000-00000000f002', tests.tenant('a'), 'company', 'Beta Immo', 'Lise', 'lise@beta.fr', '+33611188802'),
  ('c0000000-0000-4000-8000-00000000f003', tests.tenant('a'), 'company', 'Gamma Immo', 'Noé', 'noe@gamma.fr', '+33611188803'),
  ('c0000000-0000-4000-8000-00000000f004', tests.tenant('a'), 'company', 'Delta Immo', 'Eva', 'eva@delta.fr', '+33611188804');
insert into sequences (id, tenant_id, name, status, audience, max_attempts) values
  ('c8a50000-0000-4000-8000-0000000000f1', tests.tenant('a'), 'Clock', 'active', 'segment', 2);
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f1', 1, 0, 'email', '[{"key":"A","subject":"Un {{firstName}}","body":"x"}]'),
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f1', 2, 2, 'email', '[{"key":"A","subject":"Deux","body":"y"}]'),
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f1', 3, 2, 'email', '[{"key":"A","subject":"Trois","body":"z"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f1', id, '2027-03-30 10:00 Europe/Paris'
  from contacts where id in ('c0000000-0000-4000-8000-00000000f001', 'c0000000-0000-4000-8000-00000000f002', 'c0000000-0000-4000-8000-00000000f003');

-- ---------------------------------------------------------------- the clock
select ok(abs(extract(epoch from private.sending_now() - now())) < 1, 'without a clock row, sending time is real time');
select is((private.run_tick('2027-03-30 10:00 Europe/Paris') ->> 'enqueued')::int, 3, 'run_tick(at) runs the tick at that instant');
select ok(abs(extract(epoch from private.sending_now() - timestamptz '2027-03-30 10:00 Europe/Paris')) < 5, '… and leaves the clock there for the worker');
select is((select count(*)::int from message_sends where sequence_id = 'c8a50000-0000-4000-8000-0000000000f1' and queued_at = '2027-03-30 10:00 Europe/Paris'), 3, 'the sends are dated by the clock');
select is(tests.error_of($$select sending_run_clock('2027-03-30 10:00 Europe/Paris')$$), null, 'the superuser may run the clock');
select tests.authenticate_as(tests.uid('a_owner'));
select is(tests.error_of($$select sending_run_clock('2027-03-30 10:00 Europe/Paris')$$), '42501', 'a member cannot run the clock');
select tests.clear_authentication();

-- ---------------------------------------------------------------- the worker's gate
select ok((select allowed from private.send_gate((select id from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f001'), '2027-03-30 10:00:30 Europe/Paris')),
          'at the clock''s instant the send may go');
select is((select (allowed, reason, retry_at = timestamptz '2027-03-31 08:00 Europe/Paris')::text from private.send_gate((select id from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f001'), '2027-03-30 21:00 Europe/Paris')),
          '(f,outside_hours,t)', 'outside the hours: wait for the next slot (08:00 the next day)');
update contacts set do_not_contact = true where id = 'c0000000-0000-4000-8000-00000000f002';
select is((select (allowed, reason, retry_at)::text from private.send_gate((select id from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f002'), '2027-03-30 10:01 Europe/Paris')),
          '(f,do_not_contact,)', 'a permanent refusal has no retry');
update contacts set do_not_contact = false where id = 'c0000000-0000-4000-8000-00000000f002';

-- ---------------------------------------------------------------- throttling
insert into private.provider_rate_limits (provider, per_second) values ('test-sms', 5);
select is(private.take_send_tokens('test-sms', 100), 5, 'a provider never gets more tokens in a second than its limit');
select is(private.take_send_tokens('unknown-provider', 7), 7, 'a provider without a limit is not throttled');

-- ---------------------------------------------------------------- orphans and dead letters
delete from pgmq.q_email where message ->> 'sendId' = (select id::text from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f003');
create or replace function pg_temp.f003_messages() returns int language sql as $$
  select count(*)::int from pgmq.q_email where message ->> 'sendId' = (select id::text from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f003')
$$;
select private.requeue_orphan_sends(now());
select is(pg_temp.f003_messages(), 0, 'the sweep leaves a send touched in the last 15 minutes alone');
select private.requeue_orphan_sends(now() + interval '1 hour');
select is(pg_temp.f003_messages(), 1, 'a queued send whose queue message was lost is queued again by the sweep');
select private.requeue_orphan_sends(now() + interval '1 hour');
select is(pg_temp.f003_messages(), 1, '… once');
update message_sends set status = 'failed', error = 'brevo: invalid email', finished_at = now() where contact_id = 'c0000000-0000-4000-8000-00000000f003';
select tests.authenticate_as(tests.uid('a_assistant'));
select is((select (category, reason)::text from sending_dead_letters where contact_id = 'c0000000-0000-4000-8000-00000000f003'), '(provider_rejected,"brevo: invalid email")',
          'the dead letters show the failed send and why');
select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*)::int from sending_dead_letters where tenant_id = tests.tenant('a')), 0, '… to the tenant''s members only');
select tests.clear_authentication();

-- ---------------------------------------------------------------- exit rules
insert into deals (tenant_id, pipeline_id, stage_id, contact_id, title, value, closed_at)
select tests.tenant('a'), p.id, ps.id, 'c0000000-0000-4000-8000-00000000f002', 'Mandat', 1000, '2027-03-31 09:00 Europe/Paris'
  from pipelines p join pipeline_stages ps on ps.pipeline_id = p.id and ps.kind = 'won' where p.tenant_id = tests.tenant('a') limit 1;
update deals set closed_at = '2027-03-31 09:00 Europe/Paris' where contact_id = 'c0000000-0000-4000-8000-00000000f002';
select private.run_tick('2027-04-01 10:00 Europe/Paris');
select is((select exit_reason from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-00000000f002'), 'deal_won', 'a won deal exits the enrolment');
select is((select (status::text, current_position)::text from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-00000000f001'), '(active,3)',
          'the other enrolment sent step 2 (two sending days later)');
select private.run_tick('2027-04-05 10:00 Europe/Paris');
select is((select exit_reason from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-00000000f001'), 'max_attempts', 'after max_attempts sends the enrolment exits');

-- ---------------------------------------------------------------- pause / resume, versions
insert into sequences (id, tenant_id, name, status, audience) values ('c8a50000-0000-4000-8000-0000000000f2', tests.tenant('a'), 'Versions', 'active', 'segment');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f2', 1, 0, 'email', '[{"key":"A","subject":"V1 un","body":"x"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
values (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f2', 'c0000000-0000-4000-8000-00000000f003', '2027-04-12 10:00 Europe/Paris');
update sequences set status = 'paused' where id = 'c8a50000-0000-4000-8000-0000000000f2';
select private.run_tick('2027-04-12 10:00 Europe/Paris');
select is((select count(*)::int from message_sends where sequence_id = 'c8a50000-0000-4000-8000-0000000000f2'), 0, 'a paused sequence sends nothing');
update sequences set status = 'active' where id = 'c8a50000-0000-4000-8000-0000000000f2';
select tests.authenticate_as(tests.uid('a_agent'));
select create_sequence_version('c8a50000-0000-4000-8000-0000000000f2');
select tests.clear_authentication();
insert into sequence_steps (tenant_id, sequence_id, version, position, day_offset, channel, variants) values
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f2', 2, 2, 1, 'email', '[{"key":"A","subject":"V2 deux","body":"y"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
values (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000f2', 'c0000000-0000-4000-8000-00000000f004', '2027-04-13 10:00 Europe/Paris');
select private.run_tick('2027-04-13 10:00 Europe/Paris');
select private.run_tick('2027-04-16 10:00 Europe/Paris');
select is((select array_agg(subject order by queued_at) from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f003' and sequence_id = 'c8a50000-0000-4000-8000-0000000000f2'),
          array['V1 un'], 'resumed, the version-1 enrolment sends its one step, once, and completes');
select is((select status::text from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-00000000f003' and sequence_id = 'c8a50000-0000-4000-8000-0000000000f2'), 'completed',
          '… without the step added in version 2');
select is((select array_agg(subject order by queued_at) from message_sends where contact_id = 'c0000000-0000-4000-8000-00000000f004'),
          array['V1 un', 'V2 deux'], 'a contact enrolled on version 2 follows the new path');
select private.set_sending_clock(null);
select ok(abs(extract(epoch from private.sending_now() - now())) < 1, 'set_sending_clock(null) goes back to real time');

select * from finish();
rollback;
