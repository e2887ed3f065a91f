-- The tick wakes the worker: a tick that enqueued sends runs its later stages
-- (A/B decisions, health check, orphan sweep) and asks pg_net to POST to the
-- `send-worker` edge function with the service key, for each queue holding
-- messages. (Regression: the tick mistook the `skipped` count of its summary
-- for the single-flight answer and returned before all of that.)
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(7);

update tenants set plan = 'pro' where id = tests.tenant('a');
insert into contacts (id, tenant_id, kind, company_name, first_name, email, phone) values
  ('c0000000-0000-4000-8000-00000000e801', tests.tenant('a'), 'company', 'Wake Immo', 'Paul', 'paul@wake-immo.fr', '+33611188901');
insert into sequences (id, tenant_id, name, status, audience) values
  ('c8a50000-0000-4000-8000-0000000000e8', tests.tenant('a'), 'Wake', 'active', 'segment');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e8', 1, 0, 'email', '[{"key":"A","subject":"Bonjour {{firstName}}","body":"x"}]'),
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e8', 2, 2, 'email', '[{"key":"A","subject":"Encore","body":"y"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
values (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e8', 'c0000000-0000-4000-8000-00000000e801', '2027-03-30 10:00 Europe/Paris');

create temp table wake_before as select coalesce(max(id), 0) as id from net.http_request_queue;
create temp table tick as select private.run_tick('2027-03-30 10:00 Europe/Paris') as r;

select is((select (r ->> 'enqueued')::int from tick), 1, 'the tick enqueued the due send');
select is((select jsonb_typeof(r -> 'skipped') from tick), 'number', '… its summary counts skipped steps (a number, not the single-flight answer)');
select ok((select r ? 'ab_decided' and r ? 'auto_paused' and r ? 'requeued' from tick), '… and the tick went on to its A/B, health and orphan stages');
select ok((select r -> 'woken' ? 'email' from tick), '… and woke the worker for the email queue');

create temp table wake as
select q.url, q.method, q.headers, convert_from(q.body, 'UTF8')::jsonb as body
  from net.http_request_queue q where q.id > (select id from wake_before) and q.url like '%/functions/v1/send-worker';
select is((select count(*)::int from wake where body ->> 'queue' = 'email'), 1, 'one pg_net request to send-worker for the email queue');
select is((select headers ->> 'Authorization' from wake where body ->> 'queue' = 'email'),
          'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'),
          '… carrying the service key (send-worker requires the service role)');
select is((select url from wake where body ->> 'queue' = 'email'),
          rtrim((select decrypted_secret from vault.decrypted_secrets where name = 'project_url'), '/') || '/functions/v1/send-worker',
          '… at the project''s functions URL');

select * from finish();
rollback;
