-- The tick (private.enqueue_due_steps): ledger + queue in one transaction,
-- idempotency, conditions, exit rules, holding on a missing variable, caps
-- across sequences, quotas, time-window deferral, versioned edits,
-- pause/resume, event replay counted once, suppression on STOP.
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(36);

create temp table k (name text primary key, id uuid) on commit drop;
create or replace function pg_temp.contact(p_name text, p_row jsonb) returns uuid language plpgsql as $$
declare
  i uuid := gen_random_uuid();
  r jsonb := jsonb_build_object('id', i, 'tenant_id', tests.tenant('a'), 'kind', 'company') || p_row;
  cols text := (select string_agg(quote_ident(k), ', ') from jsonb_object_keys(r) k);
begin
  execute format('insert into public.contacts (%s) select %s from jsonb_populate_record(null::public.contacts, $1)', cols, cols) using r;
  insert into pg_temp.k values (p_name, i);
  return i;
end $$;
create or replace function pg_temp.id(p_name text) returns uuid language sql as $$ select id from pg_temp.k where name = p_name $$;
create or replace function pg_temp.enrolment(p_seq text, p_contact text) returns public.sequence_enrolments language sql as $$
  select * from public.sequence_enrolments where sequence_id = pg_temp.id(p_seq) and contact_id = pg_temp.id(p_contact)
$$;
create or replace function pg_temp.tick(p_at timestamptz) returns jsonb language sql as $$
  select private.enqueue_due_steps(1000, p_at)
$$;
-- Tuesday 30 March 2027, 10:00 Paris: a sending day for every channel.
create or replace function pg_temp.t0() returns timestamptz language sql as $$ select timestamptz '2027-03-30 10:00 Europe/Paris' $$;

-- B2B contacts (legitimate interest for e-mail)
select pg_temp.contact('c1', '{"company_name":"Agence Un","first_name":"Paul","email":"paul@un.fr","phone":"+33611100001"}');
select pg_temp.contact('c2', '{"company_name":"Agence Deux","first_name":"Lise","email":"lise@deux.fr"}');
select pg_temp.contact('c_noname', '{"company_name":"Agence Trois","email":"info@trois.fr"}');
select pg_temp.contact('c4', '{"company_name":"Agence Quatre","first_name":"Noé","email":"noe@quatre.fr"}');
select pg_temp.contact('c5', '{"company_name":"Agence Cinq","first_name":"Eva","email":"eva@cinq.fr"}');

insert into sequences (tenant_id, name, status, audience, segment_filter) values (tests.tenant('a'), 'Vendeurs', 'active', 'segment', '{}')
returning id as s1 \gset
insert into k values ('s1', :'s1');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, condition, variants) values
  (tests.tenant('a'), :'s1', 1, 0, 'email', 'always', '[{"key":"A","subject":"Bonjour {{firstName}}","body":"{{agencyName}} pour {{companyName}}"},{"key":"B","subject":"Hello {{firstName}}","body":"B {{companyName}}"}]'),
  (tests.tenant('a'), :'s1', 2, 3, 'email', 'opened', '[{"key":"A","subject":"Suite","body":"Vous avez lu {{firstName}}"}]'),
  (tests.tenant('a'), :'s1', 3, 2, 'email', 'not_opened', '[{"key":"A","subject":"Relance","body":"Relance {{firstName}}"}]');

insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select tests.tenant('a'), :'s1', pg_temp.id(n), pg_temp.t0() from unnest(array['c1', 'c2', 'c_noname']) n;

-- ---------------------------------------------------------------- first tick
select is((pg_temp.tick(pg_temp.t0()) ->> 'enqueued')::int, 2, 'the tick enqueues the two complete sends');
select is((select count(*)::int from message_sends where sequence_id = :'s1'), 2, 'two ledger rows');
select is((select count(*)::int from pgmq.q_email q join message_sends ms on ms.id = (q.message ->> 'sendId')::uuid where ms.sequence_id = :'s1'), 2,
          'one pgmq message per ledger row, in the same transaction');
select is((select idempotency_key from message_sends where enrolment_id = (pg_temp.enrolment('s1', 'c1')).id),
          (pg_temp.enrolment('s1', 'c1')).id || ':' || (select id from sequence_steps where sequence_id = :'s1' and position = 1),
          'the idempotency key is <enrolment>:<step>');
select ok((select subject in ('Bonjour Paul', 'Hello Paul') and body in ('Agence A SARL pour Agence Un', 'B Agence Un')
             from message_sends where contact_id = pg_temp.id('c1')), 'subject and body are rendered with the contact''s values');
select is((pg_temp.enrolment('s1', 'c_noname')).status, 'held'::enrolment_status, 'a contact missing a template variable is held');
select is((pg_temp.enrolment('s1', 'c_noname')).held_reason, 'missing_variable:firstName', '… with the reason');
select is((select count(*)::int from message_sends where contact_id = pg_temp.id('c_noname')), 0, '… and nothing is sent with a blank');
select is((pg_temp.enrolment('s1', 'c1')).current_position, 2, 'the enrolment moves to step 2');
select is((pg_temp.enrolment('s1', 'c1')).next_due_at, timestamptz '2027-04-02 10:00 Europe/Paris', 'step 2 is due 3 sending days later (Friday)');
select is((pg_temp.tick(pg_temp.t0()) ->> 'due')::int, 0, 'a second tick at the same instant finds nothing due');

-- Idempotency: replaying the same (enrolment, step) cannot double the send.
select is(tests.error_of(format($$insert into message_sends (tenant_id, enrolment_id, step_id, contact_id, channel, idempotency_key)
  select tenant_id, enrolment_id, step_id, contact_id, channel, idempotency_key from message_sends where contact_id = %L$$, pg_temp.id('c1'))),
  '23505', 'a second ledger row for the same (enrolment, step) is refused');
update sequence_enrolments set current_position = 1, next_due_at = pg_temp.t0() + interval '3 days' where id = (pg_temp.enrolment('s1', 'c1')).id;
select pg_temp.tick(pg_temp.t0() + interval '3 days');
select is((select count(*)::int from message_sends where contact_id = pg_temp.id('c1')), 1, 'an enrolment rewound to a sent step does not send it again');

-- ---------------------------------------------------------------- conditions
-- c1 opened step 1; c2 did not.
select private.record_message_event('brevo', 'open-c1', 'opened', (select id from message_sends where contact_id = pg_temp.id('c1')));
update sequence_enrolments set current_position = 2, next_due_at = timestamptz '2027-04-02 10:00 Europe/Paris' where id = (pg_temp.enrolment('s1', 'c1')).id;
select pg_temp.tick('2027-04-02 10:00 Europe/Paris');
select is((select count(*)::int from message_sends where contact_id = pg_temp.id('c1')), 2, 'condition "opened" true: step 2 sent');
select is((select count(*)::int from message_sends where contact_id = pg_temp.id('c2')), 1, 'condition "opened" false: step 2 not sent…');
select is((pg_temp.enrolment('s1', 'c2')).current_position, 3, '… the enrolment skips to step 3');
select pg_temp.tick('2027-04-06 10:00 Europe/Paris');
select is((select subject from message_sends where contact_id = pg_temp.id('c2') order by queued_at desc limit 1), 'Relance', 'condition "not_opened" true: step 3 sent');
select pg_temp.tick('2027-04-09 10:00 Europe/Paris');
select is((pg_temp.enrolment('s1', 'c2')).status, 'completed'::enrolment_status, 'no step left: completed');

-- ---------------------------------------------------------------- exits
insert into sequences (tenant_id, name, status, audience, segment_filter) values (tests.tenant('a'), 'Acheteurs', 'active', 'segment', '{}')
returning id as s2 \gset
insert into k values ('s2', :'s2');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), :'s2', 1, 0, 'email', '[{"key":"A","subject":"Hi {{firstName}}","body":"x"}]'),
  (tests.tenant('a'), :'s2', 2, 2, 'email', '[{"key":"A","subject":"Again {{firstName}}","body":"y"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select tests.tenant('a'), :'s2', pg_temp.id(n), timestamptz '2027-05-03 10:00 Europe/Paris' from unnest(array['c4', 'c5']) n;
select pg_temp.tick('2027-05-03 10:00 Europe/Paris');
select is(private.record_message_event('brevo', 'reply-c4', 'replied', null, null, now(), '{"text":"Oui, appelez-moi"}', tests.tenant('a'), pg_temp.id('c4')),
          true, 'a reply is recorded');
select is((pg_temp.enrolment('s2', 'c4')).exit_reason, 'replied', 'a reply exits the enrolment');
select is((select count(*)::int from notifications where kind = 'message.replied' and payload ->> 'contact_id' = pg_temp.id('c4')::text), 0,
          'no owner, no notification (c4 has no owner)');
select is((select count(*)::int from (select private.record_message_event('brevo', 'reply-c4', 'replied', null, null, now(), '{}', tests.tenant('a'), pg_temp.id('c4'))
                                        from generate_series(1, 5)) x), 5, 'the same event replayed five times…');
select is((select count(*)::int from message_events where provider_event_id = 'reply-c4'), 1, '… is stored once');
insert into events (tenant_id, type, subject_type, subject_id, occurred_at) values (tests.tenant('a'), 'appointment.booked', 'contact', pg_temp.id('c5'), '2027-05-04 09:00 Europe/Paris');
select pg_temp.tick('2027-05-05 10:00 Europe/Paris');
select is((pg_temp.enrolment('s2', 'c5')).exit_reason, 'meeting_booked', 'a booked meeting exits the enrolment at the next tick');

-- ---------------------------------------------------------------- cap across sequences, STOP
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at) values
  (tests.tenant('a'), :'s2', pg_temp.id('c1'), '2027-05-10 10:00 Europe/Paris');
insert into sequences (tenant_id, name, status, audience, segment_filter) values (tests.tenant('a'), 'Bailleurs', 'active', 'segment', '{}')
returning id as s3 \gset
insert into k values ('s3', :'s3');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), :'s3', 1, 0, 'email', '[{"key":"A","subject":"Bailleur {{firstName}}","body":"z"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at) values
  (tests.tenant('a'), :'s3', pg_temp.id('c1'), '2027-05-10 10:00 Europe/Paris');
select pg_temp.tick('2027-05-10 10:00 Europe/Paris');
select is((select count(*)::int from message_sends where contact_id = pg_temp.id('c1') and queued_at = '2027-05-10 10:00 Europe/Paris'), 1,
          'two sequences due for one contact in one tick: one touch');
select ok((select bool_or(held_reason = 'frequency_cap' and next_due_at >= timestamptz '2027-05-12 10:00 Europe/Paris')
             from sequence_enrolments where contact_id = pg_temp.id('c1') and sequence_id in (:'s2', :'s3')),
          'the other waits 48 h (frequency cap across sequences)');
select private.suppress_contact(tests.tenant('a'), pg_temp.id('c1'), 'stop', 'twilio');
select is((select count(*)::int from sequence_enrolments where contact_id = pg_temp.id('c1') and status = 'exited' and exit_reason = 'unsubscribed'), 2,
          'STOP exits every running enrolment of the contact');
select is((select count(*)::int from suppressions where tenant_id = tests.tenant('a') and address_hash in
            (private.address_hash('email', 'paul@un.fr'), private.address_hash('phone', '+33611100001'))), 2,
          'STOP suppresses the e-mail and the phone (every channel)');

-- ---------------------------------------------------------------- SMS on a Sunday is deferred
select pg_temp.contact('c6', '{"kind":"person","first_name":"Ines","last_name":"Roy","phone":"+33611100006"}');
insert into consent_evidence (tenant_id, contact_id, channel, status, text_shown, source, captured_at)
values (tests.tenant('a'), pg_temp.id('c6'), 'sms', 'opt_in', 'J''accepte les SMS', 'form', '2027-01-01');
update contacts set sms_consent = 'opt_in' where id = pg_temp.id('c6');
insert into sequences (tenant_id, name, status, audience, segment_filter) values (tests.tenant('a'), 'SMS', 'active', 'segment', '{}')
returning id as s4 \gset
insert into k values ('s4', :'s4');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), :'s4', 1, 0, 'sms', '[{"key":"A","body":"Bonjour {{firstName}}"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at) values (tests.tenant('a'), :'s4', pg_temp.id('c6'), '2027-05-16 11:00 Europe/Paris');
select pg_temp.tick('2027-05-16 11:00 Europe/Paris');
select is((pg_temp.enrolment('s4', 'c6')).held_reason, 'sunday', 'an SMS due on a Sunday is not sent');
select is((pg_temp.enrolment('s4', 'c6')).next_due_at, timestamptz '2027-05-18 08:00 Europe/Paris', '… it is due Tuesday 08:00 (Whit Monday skipped)');

-- ---------------------------------------------------------------- quota
update sequence_enrolments set next_due_at = '2027-05-18 08:00 Europe/Paris' where id = (pg_temp.enrolment('s4', 'c6')).id;
insert into private.send_usage (tenant_id, period, channel, sent) values (tests.tenant('a'), '2027-05-01', 'sms', 50)
on conflict (tenant_id, period, channel) do update set sent = 50;
select pg_temp.tick('2027-05-18 08:00 Europe/Paris');
select is((pg_temp.enrolment('s4', 'c6')).held_reason, 'quota_exceeded', 'a send beyond the plan''s SMS quota waits');
select is((pg_temp.enrolment('s4', 'c6')).next_due_at, '2027-06-01 00:00+00'::timestamptz, '… until next month');
select is(tests.error_detail($$insert into message_sends (tenant_id, channel, idempotency_key, queued_at) values (tests.tenant('a'), 'sms', 'over-quota', '2027-05-20')$$)::jsonb ->> 'quota',
          '50', 'the ledger itself refuses a send beyond the quota (quota_exceeded, with the numbers)');

-- ---------------------------------------------------------------- versions, pause/resume
select is(tests.error_of(format($$update sequence_steps set day_offset = 9 where sequence_id = %L and position = 2$$, :'s1')), '55000',
          'a step of a version in use cannot be edited');
select tests.authenticate_as(tests.uid('a_agent'));
select is(create_sequence_version(:'s1'), 2, 'create_sequence_version copies the steps to version 2');
update sequence_steps set day_offset = 9 where sequence_id = :'s1' and version = 2 and position = 2;
select is((select count(*)::int from sequence_steps where sequence_id = :'s1' and version = 1 and day_offset = 3), 1, 'version 1 is unchanged for running enrolments');
select tests.clear_authentication();

select * from finish();
rollback;
