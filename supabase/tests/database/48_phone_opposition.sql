-- The phone opposition list (Bloctel-style): per tenant
-- (public.phone_oppositions) and platform-wide (private.platform_phone_oppositions), consumers only, SMS and call tasks only; the gate
-- answers `opposition_list`, the tick holds the enrolment with that reason,
-- the worker's gate cancels a queued send; the import normalises numbers and
-- is for admins (tenant list) or the service role (platform list).
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(22);

update tenants set plan = 'pro' where id in (tests.tenant('a'), tests.tenant('b'));
-- Consumers with every recorded consent (so only the list can block them), and a professional.
insert into contacts (id, tenant_id, kind, first_name, last_name, email, phone, email_consent, sms_consent, phone_consent) values
  ('c0000000-0000-4000-8000-0000000e0001', tests.tenant('a'), 'person', 'Léa', 'Opposée', 'lea@example.fr', '+33611000901', 'opt_in', 'opt_in', 'opt_in'),
  ('c0000000-0000-4000-8000-0000000e0002', tests.tenant('a'), 'person', 'Hugo', 'Libre', 'hugo@example.fr', '+33611000902', 'opt_in', 'opt_in', 'opt_in'),
  ('c0000000-0000-4000-8000-0000000e0003', tests.tenant('b'), 'person', 'Noé', 'Plateforme', 'noe@example.fr', '+33611000903', 'opt_in', 'opt_in', 'opt_in');
insert into contacts (id, tenant_id, kind, company_name, email, phone, siren) values
  ('c0000000-0000-4000-8000-0000000e0004', tests.tenant('a'), 'company', 'Cabinet Pro', 'pro@example.fr', '+33144000901', '732829320');
insert into consent_evidence (tenant_id, contact_id, channel, status, text_shown, source, ip, captured_at)
select c.tenant_id, c.id, ch, 'opt_in', 'J''accepte d''être contacté par l''agence.', 'form:estimation', '192.0.2.1', '2026-01-01 00:00+00'
  from contacts c cross join unnest(array['email', 'sms', 'phone']) ch
 where c.id in ('c0000000-0000-4000-8000-0000000e0001', 'c0000000-0000-4000-8000-0000000e0002', 'c0000000-0000-4000-8000-0000000e0003');

create or replace function pg_temp.gate(p_contact uuid, p_channel public.send_channel, p_kind text default 'call')
returns text language sql as $$
  select coalesce(reason, 'allowed') from private.can_send(p_contact, p_channel, '2027-03-30 11:00 Europe/Paris', p_kind)
$$;

-- ---------------------------------------------------------------- import
select tests.authenticate_as(tests.uid('a_admin'));
select is(import_phone_oppositions(tests.tenant('a'), array['06 11 00 09 01', '+33 1 44 00 09 01', 'pas un numéro', ''], 'bloctel'),
          '{"added": 2, "already": 0, "invalid": 1}'::jsonb, 'an admin imports numbers: national and spaced forms normalised, junk counted as invalid');
select is(import_phone_oppositions(tests.tenant('a'), array['0033611000901'], 'bloctel'),
          '{"added": 0, "already": 1, "invalid": 0}'::jsonb, '… the same number again (00 prefix) is counted once');
select is((select count(*)::int from phone_oppositions where source = 'bloctel'), 2, '… members see their tenant''s entries');
select ok((select bool_and(phone_hash ~ '^[0-9a-f]{64}$') from phone_oppositions), '… stored as hashes, never the number');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of($$select import_phone_oppositions(tests.tenant('a'), array['+33611000902'])$$), '42501', 'an agent cannot add to the list');
select is(tests.error_of($$delete from phone_oppositions$$), null, '… nor lift an entry (RLS: nothing deleted)');
select tests.authenticate_as(tests.uid('a_owner'));
select is((select count(*)::int from phone_oppositions where source = 'bloctel'), 2, '… the entries are still there');
select is(tests.error_of($$select import_phone_oppositions(null, array['+33611000903'])$$), '42501', 'a tenant member cannot write the platform list');
select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*)::int from phone_oppositions where tenant_id = tests.tenant('a')), 0, 'another tenant does not see them');
select tests.clear_authentication();
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0003', 'sms'), 'allowed', '… and its consumers are not blocked by them');
select is(import_phone_oppositions(null, array['+33611000903'], 'bloctel-2027-03'), '{"added": 1, "already": 0, "invalid": 0}'::jsonb,
          'the service side imports a platform-wide list');

-- ---------------------------------------------------------------- the gate
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0001', 'sms'), 'opposition_list', 'consumer on the tenant''s list: SMS blocked, consent or not');
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0001', 'task', 'call'), 'opposition_list', '… call task blocked');
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0001', 'email'), 'allowed', '… e-mail is not concerned');
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0002', 'sms'), 'allowed', 'a consumer not on the list: SMS allowed');
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0004', 'sms'), 'allowed', 'a professional on the list: allowed (the list covers consumers)');
select is(pg_temp.gate('c0000000-0000-4000-8000-0000000e0003', 'sms'), 'opposition_list', 'the platform-wide list blocks every tenant''s consumers');

-- ---------------------------------------------------------------- the tick and the worker
insert into sequences (id, tenant_id, name, status, audience) values ('c8a50000-0000-4000-8000-0000000000e9', tests.tenant('a'), 'SMS', 'active', 'segment');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values
  (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e9', 1, 0, 'sms', '[{"key":"A","body":"Bonjour {{firstName}}"}]');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000000e9', id, '2027-03-30 11:00 Europe/Paris'
  from contacts where id in ('c0000000-0000-4000-8000-0000000e0001', 'c0000000-0000-4000-8000-0000000e0002');
select is((private.run_tick('2027-03-30 11:00 Europe/Paris') ->> 'held')::int, 1, 'the tick counts one enrolment held');
select is((select (status, held_reason)::text from sequence_enrolments where contact_id = 'c0000000-0000-4000-8000-0000000e0001'),
          '(held,opposition_list)', 'the tick holds the opposed consumer''s enrolment with the reason');
select is((select count(*)::int from message_sends where sequence_id = 'c8a50000-0000-4000-8000-0000000000e9'), 1, '… and sends to the other one only');
-- A send queued before the number was listed: the worker's gate cancels it for good.
insert into phone_oppositions (tenant_id, phone_hash, source) values (tests.tenant('a'), private.address_hash('phone', '+33611000902'), 'manual');
select is((select (allowed, reason, retry_at)::text from private.send_gate(
            (select id from message_sends where contact_id = 'c0000000-0000-4000-8000-0000000e0002'), '2027-03-30 11:00:30 Europe/Paris')),
          '(f,opposition_list,)', 'a send queued before the listing is refused at send time, without retry');
select tests.authenticate_as(tests.uid('a_agent'));
select is((select (allowed, reason, next_slot)::text from contact_send_check('c0000000-0000-4000-8000-0000000e0001', 'sms', '2027-03-30 11:00 Europe/Paris')),
          '(f,opposition_list,)', 'the app''s check shows the reason and no next slot');
select tests.clear_authentication();

select * from finish();
rollback;
