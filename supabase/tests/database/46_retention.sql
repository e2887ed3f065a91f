-- Three-year retention: flag, one renewed-consent request where the e-mail
-- gate allows it, anonymisation 30 days later without an answer (at once when
-- no request is allowed); an interaction renews; suppression hashes survive.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(15);

-- Four contacts of A idle since 2023: B2B with e-mail (may be asked), consumer
-- without consent (may not), one who will answer, one recent.
insert into contacts (id, tenant_id, kind, company_name, first_name, job_title, last_name, email, phone, city, tags, last_activity_at) values
  ('c0000000-0000-4000-8000-00000000e001', tests.tenant('a'), 'person', 'Cabinet Ancien', 'Marc', 'Gérant', 'Vieux', 'marc@ancien.fr', '+33611199901', 'Paris', '{vip}', '2023-01-10'),
  ('c0000000-0000-4000-8000-00000000e002', tests.tenant('a'), 'person', null, 'Julie', null, 'Oubli', 'julie@perso.fr', '+33611199902', 'Lyon', '{}', '2023-02-10'),
  ('c0000000-0000-4000-8000-00000000e003', tests.tenant('a'), 'person', 'Cabinet Fidèle', 'Ana', 'Gérante', 'Retour', 'ana@fidele.fr', null, null, '{}', '2023-02-20'),
  ('c0000000-0000-4000-8000-00000000e004', tests.tenant('a'), 'person', null, 'Tom', null, 'Actif', 'tom@actif.fr', null, null, '{}', '2026-06-01');
insert into sequences (id, tenant_id, name, status, audience) values ('c8a50000-0000-4000-8000-0000000000e1', tests.tenant('a'), 'S', 'active', 'segment');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, status) values (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e1', 'c0000000-0000-4000-8000-00000000e002', 'paused');
insert into conversations (tenant_id, contact_id, channel) values (tests.tenant('a'), 'c0000000-0000-4000-8000-00000000e002', 'email');

select is((private.run_retention('2026-03-01') ->> 'flagged')::int, 3, 'contacts idle for 3 years are flagged (and only them)');
select is((select renewal_status from contact_retention where contact_id = 'c0000000-0000-4000-8000-00000000e001'), 'requested', 'a B2B contact is asked once');
select is((select (channel::text, status::text, subject)::text from message_sends where idempotency_key like 'renewal:c0000000-0000-4000-8000-00000000e001:%'),
          '(email,queued,"Souhaitez-vous rester en contact avec Agence A SARL ?")', '… through the normal ledger');
select is((select count(*)::int from pgmq.q_email where message ->> 'sendId' = (select id::text from message_sends where idempotency_key like 'renewal:c0000000-0000-4000-8000-00000000e001:%')), 1, '… and queue');
select is((select renewal_status from contact_retention where contact_id = 'c0000000-0000-4000-8000-00000000e002'), 'not_allowed', 'a consumer without recorded consent may not be asked');
select is((select (first_name, last_name, email, phone, city, do_not_contact)::text from contacts where id = 'c0000000-0000-4000-8000-00000000e002'),
          '(,Anonymisé,,,,t)', '… and is anonymised at once');
select is((select (status::text, exit_reason)::text from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-00000000e002'), '(exited,anonymised)', '… leaving every sequence');
select is((select count(*)::int from conversations where contact_id = 'c0000000-0000-4000-8000-00000000e002'), 0, '… and her conversations are deleted');

-- Ana answers the request (a reply is an interaction); Marc does not.
select private.record_message_event('brevo', 'ret-reply', 'replied', null, null, '2026-03-05', '{"text":"Oui"}', tests.tenant('a'), 'c0000000-0000-4000-8000-00000000e003');
select is((private.run_retention('2026-03-10') ->> 'renewed')::int, 1, 'an interaction after the flag renews');
select is((private.run_retention('2026-03-20') ->> 'anonymised')::int, 0, 'nobody is anonymised before 30 days');
select is((private.run_retention('2026-04-01') ->> 'anonymised')::int, 1, 'Marc, silent for 30 days after the request, is anonymised');
select is((select (first_name, last_name, company_name, job_title, email, tags)::text from contacts where id = 'c0000000-0000-4000-8000-00000000e001'),
          '(,Anonymisé,,,,{})', 'identity, addresses, company identifiers and tags are gone');
select is((select last_name from contacts where id = 'c0000000-0000-4000-8000-00000000e003'), 'Retour', 'Ana is kept');
select is((select count(*)::int from contact_retention where anonymised_at is not null), 2, 'each anonymisation is recorded');
select ok(exists (select 1 from cron.job where jobname = 'sending-retention'), 'the pass runs daily (pg_cron)');

select * from finish();
rollback;
