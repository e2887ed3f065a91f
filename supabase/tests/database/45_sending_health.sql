-- Auto-pause: a complaint rate over 0.1 % (or bounces over the tenant's
-- threshold) on the rolling window pauses the tenant's sending domain and its
-- active sequences, tells the owner and admins why, holds queued e-mails at
-- the worker's gate; an admin resumes.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(14);

update tenants set plan = 'pro' where id = tests.tenant('a');
update tenant_sending_settings set sender_email = 'contact@agence-a.fr' where tenant_id = tests.tenant('a');
insert into sequences (id, tenant_id, name, status, audience) values
  ('c8a50000-0000-4000-8000-0000000000a1', tests.tenant('a'), 'Active', 'active', 'segment'),
  ('c8a50000-0000-4000-8000-0000000000a2', tests.tenant('a'), 'Draft', 'draft', 'segment');

-- 1,000 e-mails sent this week, 1 complaint: 0.1 %, not over the threshold.
insert into message_sends (tenant_id, channel, idempotency_key, status, queued_at, sent_at)
select tests.tenant('a'), 'email', 'health:' || i, 'sent', now() - interval '2 days', now() - interval '2 days' from generate_series(1, 1000) i;
insert into message_events (tenant_id, send_id, type, provider, provider_event_id)
select tests.tenant('a'), id, 'complained', 'brevo', 'health-c1' from message_sends where idempotency_key = 'health:1';
select is(private.check_sending_health(now()), 0, '1 complaint in 1,000 (0.1 %) does not pause');

-- A second one: 0.2 %.
insert into message_events (tenant_id, send_id, type, provider, provider_event_id)
select tests.tenant('a'), id, 'complained', 'brevo', 'health-c2' from message_sends where idempotency_key = 'health:2';
select is(private.check_sending_health(now()), 1, '2 complaints in 1,000 (0.2 %) pause sending');
select is((select (domain, reason, sends, complaints, complaint_rate)::text from sending_pauses where tenant_id = tests.tenant('a') and resumed_at is null),
          '(agence-a.fr,complaint_rate,1000,2,0.002000)', 'the pause records the domain, the reason and the numbers');
select is((select (status::text, paused_reason)::text from sequences where id = 'c8a50000-0000-4000-8000-0000000000a1'), '(paused,auto_pause:complaint_rate)',
          'active sequences are paused with the reason');
select is((select status::text from sequences where id = 'c8a50000-0000-4000-8000-0000000000a2'), 'draft', 'drafts are left alone');
select is((select count(*)::int from notifications where tenant_id = tests.tenant('a') and kind = 'sending.paused'), 2, 'the owner and the admin are notified');
select ok((select body like 'Taux de plaintes pour spam de 0.20 % (2 plainte(s) sur 1000 e-mails en 7 jours), au-dessus du seuil de 0.10 %.%'
             from notifications where tenant_id = tests.tenant('a') and kind = 'sending.paused' limit 1), 'the notification explains why, with the numbers');
select is(private.check_sending_health(now()), 0, 'an active pause is not repeated');

-- Queued e-mails wait at the worker's gate; SMS go on.
insert into message_sends (id, tenant_id, contact_id, channel, idempotency_key, to_address, status)
values ('c8a70000-0000-4000-8000-00000000aa01', tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a3', 'email', 'health:queued', 'x@arche.fr', 'queued');
select is((select (allowed, reason)::text from private.send_gate('c8a70000-0000-4000-8000-00000000aa01', now())), '(f,sending_paused)', 'a queued e-mail is held while paused');
select ok((select retry_at > now() from private.send_gate('c8a70000-0000-4000-8000-00000000aa01', now())), '… and retried later, not dropped');

-- Tenant B is not affected.
select is((select count(*)::int from sending_pauses where tenant_id = tests.tenant('b') and resumed_at is null), 0, 'another tenant keeps sending');

-- Resume: admins only.
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format('select resume_sending(%L)', (select id from sending_pauses where tenant_id = tests.tenant('a') and resumed_at is null))), '42501',
          'an agent cannot resume');
select tests.authenticate_as(tests.uid('a_admin'));
select ok((select resumed_at is not null from resume_sending((select id from sending_pauses where tenant_id = tests.tenant('a') and resumed_at is null))), 'an admin resumes');
select tests.clear_authentication();
select is((select status::text from sequences where id = 'c8a50000-0000-4000-8000-0000000000a1'), 'active', 'the sequences it paused run again');

select * from finish();
rollback;
