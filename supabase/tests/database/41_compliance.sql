-- Compliance gates (private.can_send), French public holidays, DST and
-- private.next_send_slot: each gate with a case that must be blocked and one
-- that must pass. Times are written in Europe/Paris.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(60);

create temp table k (name text primary key, id uuid) on commit drop;
create or replace function pg_temp.contact(p_name text, p_row jsonb) returns uuid language plpgsql as $$
declare
  i uuid := gen_random_uuid();
  r jsonb := jsonb_build_object('id', i, 'tenant_id', tests.tenant('a')) || p_row;
  cols text := (select string_agg(quote_ident(k), ', ') from jsonb_object_keys(r) k);
begin
  execute format('insert into public.contacts (%s) select %s from jsonb_populate_record(null::public.contacts, $1)', cols, cols) using r;
  insert into pg_temp.k values (p_name, i);
  return i;
end $$;
create or replace function pg_temp.id(p_name text) returns uuid language sql as $$ select id from pg_temp.k where name = p_name $$;
create or replace function pg_temp.gate(p_name text, p_channel public.send_channel, p_at timestamptz, p_kind text default 'call')
returns text language sql as $$
  select coalesce(reason, 'allowed') from private.can_send(pg_temp.id(p_name), p_channel, p_at, p_kind)
$$;
create or replace function pg_temp.evidence(p_name text, p_channel text, p_at timestamptz default '2026-01-01 00:00+00') returns void language sql as $$
  insert into public.consent_evidence (tenant_id, contact_id, channel, status, text_shown, source, ip, captured_at)
  values (tests.tenant('a'), pg_temp.id(p_name), p_channel, 'opt_in', 'J''accepte d''être contacté par l''agence.', 'form:estimation', '192.0.2.1', p_at)
$$;

-- ---------------------------------------------------------------- holidays
select is(private.easter_sunday(2027), '2027-03-28'::date, 'Easter 2027 is 28 March');
select is(private.easter_sunday(2025), '2025-04-20'::date, 'Easter 2025 is 20 April');
select is(private.easter_sunday(2026), '2026-04-05'::date, 'Easter 2026 is 5 April');
select ok(private.is_french_public_holiday('2027-03-29'), 'Easter Monday 2027-03-29 is a public holiday');
select ok(private.is_french_public_holiday('2027-05-06'), 'Ascension 2027-05-06 is a public holiday');
select ok(private.is_french_public_holiday('2027-05-17'), 'Whit Monday 2027-05-17 is a public holiday');
select ok(private.is_french_public_holiday('2027-07-14'), '14 July is a public holiday');
select is((select count(*)::int from private.french_public_holidays(2027)), 11, 'eleven national public holidays');
select ok(not private.is_french_public_holiday('2027-03-30'), 'the day after Easter Monday is not a holiday');
select ok(not private.is_french_public_holiday('2027-03-26') and private.is_french_public_holiday('2027-03-26', true),
          'Good Friday is a holiday only in Alsace-Moselle');

-- ---------------------------------------------------------------- contacts
select pg_temp.contact('consumer', '{"first_name":"Léa","last_name":"Martin","email":"lea.martin@example.fr","phone":"+33611000001"}');
select pg_temp.contact('consumer_ok', '{"first_name":"Hugo","last_name":"Petit","email":"hugo.petit@example.fr","phone":"+33611000002",
                                        "email_consent":"opt_in","sms_consent":"opt_in","whatsapp_consent":"opt_in","phone_consent":"opt_in"}');
select pg_temp.evidence('consumer_ok', 'email'); select pg_temp.evidence('consumer_ok', 'sms');
select pg_temp.evidence('consumer_ok', 'whatsapp'); select pg_temp.evidence('consumer_ok', 'phone');
select pg_temp.contact('consumer_no_evidence', '{"first_name":"Zoé","email":"zoe@example.fr","email_consent":"opt_in"}');
select pg_temp.contact('pro', '{"kind":"company","company_name":"Cabinet Durand","email":"contact@durand.fr","phone":"+33144000001","siren":"732829320"}');
select pg_temp.contact('pro_out', '{"kind":"company","company_name":"SCI Lune","email":"lune@example.fr","email_consent":"opt_out"}');

-- ---------------------------------------------------------------- consent by audience and channel
select is(pg_temp.gate('consumer', 'email', '2027-03-30 10:00 Europe/Paris'), 'no_consent', 'B2C e-mail without consent: blocked');
select is(pg_temp.gate('consumer_no_evidence', 'email', '2027-03-30 10:00 Europe/Paris'), 'no_consent', 'B2C e-mail opt-in without recorded evidence: blocked');
select is(pg_temp.gate('consumer_ok', 'email', '2027-03-30 10:00 Europe/Paris'), 'allowed', 'B2C e-mail with recorded opt-in: allowed');
select is(pg_temp.gate('pro', 'email', '2027-03-30 10:00 Europe/Paris'), 'allowed', 'B2B e-mail on legitimate interest: allowed');
select is(pg_temp.gate('pro_out', 'email', '2027-03-30 10:00 Europe/Paris'), 'opted_out', 'B2B e-mail after opt-out: blocked');
select is(pg_temp.gate('consumer', 'sms', '2027-03-30 10:00 Europe/Paris'), 'no_consent', 'B2C SMS without consent: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 10:00 Europe/Paris'), 'allowed', 'B2C SMS with recorded opt-in: allowed');
select is(pg_temp.gate('pro', 'whatsapp', '2027-03-30 10:00 Europe/Paris'), 'no_consent', 'WhatsApp without opt-in, even B2B: blocked');
select is(pg_temp.gate('consumer_ok', 'whatsapp', '2027-03-30 10:00 Europe/Paris'), 'allowed', 'WhatsApp with opt-in: allowed');

-- ---------------------------------------------------------------- do not contact, suppression
update contacts set do_not_contact = true where id = pg_temp.id('consumer_ok');
select is(pg_temp.gate('consumer_ok', 'email', '2027-03-30 10:00 Europe/Paris'), 'do_not_contact', 'do_not_contact blocks e-mail despite consent');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 10:00 Europe/Paris'), 'do_not_contact', 'do_not_contact blocks SMS despite consent');
update contacts set do_not_contact = false where id = pg_temp.id('consumer_ok');
insert into suppressions (tenant_id, address_kind, address_hash, reason, source)
values (tests.tenant('a'), 'email', private.address_hash('email', ' Contact@Durand.FR '), 'unsubscribe', 'test');
select is(pg_temp.gate('pro', 'email', '2027-03-30 10:00 Europe/Paris'), 'suppressed', 'a suppressed address (hash, normalised) blocks e-mail');
select is(pg_temp.gate('pro', 'sms', '2027-03-30 10:00 Europe/Paris'), 'suppressed', 'a suppressed e-mail blocks the contact on every channel');
-- the suppression outlives the contact: a re-import with the same address is still blocked
delete from contacts where id = pg_temp.id('pro');
delete from pg_temp.k where name = 'pro';
select pg_temp.contact('pro', '{"kind":"company","company_name":"Cabinet Durand","email":"contact@durand.fr","siren":"732829320"}');
select is(pg_temp.gate('pro', 'email', '2027-03-30 10:00 Europe/Paris'), 'suppressed', 're-imported after erasure: still suppressed');
delete from suppressions where tenant_id = tests.tenant('a') and reason = 'unsubscribe';
select is(pg_temp.gate('pro', 'email', '2027-03-30 10:00 Europe/Paris'), 'allowed', 'lifting the suppression lets it through again');

-- ---------------------------------------------------------------- SMS hours, Sundays, holidays
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-27 10:00 Europe/Paris'), 'allowed', 'SMS on a Saturday at 10:00: allowed');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-28 10:00 Europe/Paris'), 'sunday', 'SMS on a Sunday: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-29 10:00 Europe/Paris'), 'public_holiday', 'SMS on Easter Monday: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-05-06 10:00 Europe/Paris'), 'public_holiday', 'SMS on Ascension Day: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-07-14 10:00 Europe/Paris'), 'public_holiday', 'SMS on 14 July: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 07:59 Europe/Paris'), 'outside_hours', 'SMS at 07:59: blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 08:00 Europe/Paris'), 'allowed', 'SMS at 08:00: allowed');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 20:00 Europe/Paris'), 'outside_hours', 'SMS at 20:00: blocked (window ends)');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 18:30:00+00'), 'outside_hours', 'SMS at 18:30 UTC = 20:30 Paris (CEST): blocked');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-01-12 18:30:00+00'), 'allowed', 'SMS at 18:30 UTC = 19:30 Paris (CET): allowed');

-- tenants may only narrow
select is(tests.error_of($$update tenant_sending_settings set sms_end = '21:00' where tenant_id = tests.tenant('a')$$), '23514', 'a tenant cannot widen SMS hours past 20:00');
select is(tests.error_of($$update tenant_sending_settings set sms_days = '{1,2,3,4,5,6,7}' where tenant_id = tests.tenant('a')$$), '23514', 'a tenant cannot allow SMS on Sundays');
select is(tests.error_of($$update tenant_sending_settings set frequency_cap_hours = 24 where tenant_id = tests.tenant('a')$$), '23514', 'a tenant cannot loosen the 48 h cap');
update tenant_sending_settings set sms_start = '10:00', closed_days = '{2027-04-02}' where tenant_id = tests.tenant('a');
select is(pg_temp.gate('consumer_ok', 'sms', '2027-03-30 09:00 Europe/Paris'), 'outside_hours', 'a narrowed SMS window (10:00) applies');
select is(pg_temp.gate('consumer_ok', 'email', '2027-04-02 10:00 Europe/Paris'), 'closed_day', 'a tenant closure day blocks sends');
update tenant_sending_settings set sms_start = '08:00', closed_days = '{}' where tenant_id = tests.tenant('a');

-- ---------------------------------------------------------------- calls to consumers
select is(pg_temp.gate('consumer', 'task', '2026-06-01 10:30 Europe/Paris'), 'allowed', 'B2C call before 11 Aug 2026 without consent, in the window: allowed');
select is(pg_temp.gate('consumer', 'task', '2026-09-01 10:30 Europe/Paris'), 'no_consent', 'B2C call after 11 Aug 2026 without consent: blocked');
select is(pg_temp.gate('consumer_ok', 'task', '2027-03-30 10:30 Europe/Paris'), 'allowed', 'B2C call with consent, Tuesday 10:30: allowed');
select is(pg_temp.gate('consumer_ok', 'task', '2027-03-30 13:30 Europe/Paris'), 'outside_hours', 'B2C call at 13:30 (lunch break): blocked');
select is(pg_temp.gate('consumer_ok', 'task', '2027-03-27 10:30 Europe/Paris'), 'outside_send_days', 'B2C call on a Saturday: blocked');
select is(pg_temp.gate('consumer_ok', 'task', '2027-03-30 10:30 Europe/Paris', 'visit'), 'allowed', 'a visit task is not a call');
insert into message_sends (tenant_id, contact_id, channel, task_kind, idempotency_key, status, queued_at)
select tests.tenant('a'), pg_temp.id('consumer_ok'), 'task', 'call', 'call-' || i, 'sent', timestamptz '2027-03-01 10:00 Europe/Paris' + i * interval '3 days'
  from generate_series(1, 4) i;
select is(pg_temp.gate('consumer_ok', 'task', '2027-03-30 10:30 Europe/Paris'), 'call_attempts_exceeded', 'a fifth call within 30 days: blocked');
select is(pg_temp.gate('consumer_ok', 'task', '2027-04-13 10:30 Europe/Paris'), 'allowed', 'once the oldest attempts are 30 days old: allowed');
insert into message_events (tenant_id, contact_id, type, provider, provider_event_id, occurred_at)
values (tests.tenant('a'), pg_temp.id('consumer_ok'), 'call_refused', 'agent', 'refusal-1', '2027-04-14 11:00 Europe/Paris');
select is(pg_temp.gate('consumer_ok', 'task', '2027-06-01 10:30 Europe/Paris'), 'call_refused_recently', 'a call within 60 days of a refusal: blocked');
select is(pg_temp.gate('consumer_ok', 'task', '2027-06-15 10:30 Europe/Paris'), 'allowed', 'a call 62 days after the refusal: allowed');

-- ---------------------------------------------------------------- frequency caps
select pg_temp.contact('pro_colleague', '{"first_name":"Marc","last_name":"Durand","email":"marc@durand.fr","company_name":"Cabinet Durand","job_title":"Gérant","siren":"732829320"}');
insert into message_sends (tenant_id, contact_id, channel, idempotency_key, status, queued_at, company_key)
values (tests.tenant('a'), pg_temp.id('pro'), 'email', 'cap-1', 'sent', '2027-05-03 10:00 Europe/Paris', '732829320');
select is(pg_temp.gate('pro', 'email', '2027-05-04 10:00 Europe/Paris'), 'frequency_cap', 'a second touch 24 h later: blocked');
select is(pg_temp.gate('pro_colleague', 'email', '2027-05-04 10:00 Europe/Paris'), 'company_frequency_cap', 'a colleague at the same company 24 h later: blocked');
select is(pg_temp.gate('pro', 'email', '2027-05-05 10:01 Europe/Paris'), 'allowed', 'a touch 48 h later: allowed');

-- ---------------------------------------------------------------- next_send_slot (DST-correct)
select is(private.next_send_slot(tests.tenant('a'), pg_temp.id('consumer_ok'), 'sms', '2027-03-27 20:30 Europe/Paris'),
          '2027-03-30 06:00:00+00'::timestamptz,
          'SMS after Saturday 20:30 before the spring DST change: Sunday and Easter Monday skipped, Tuesday 08:00 CEST (06:00 UTC)');
select is(private.next_send_slot(tests.tenant('a'), pg_temp.id('consumer_ok'), 'sms', '2027-10-30 21:00 Europe/Paris'),
          '2027-11-02 07:00:00+00'::timestamptz,
          'SMS after Saturday 21:00 before the autumn DST change: Sunday and All Saints'' Day skipped, Tuesday 08:00 CET (07:00 UTC)');
select is(private.next_send_slot(tests.tenant('a'), pg_temp.id('pro_colleague'), 'email', '2027-05-14 19:30 Europe/Paris'),
          '2027-05-18 06:00:00+00'::timestamptz, 'e-mail after Friday 19:30: weekend and Whit Monday skipped, Tuesday 08:00');
select is(private.next_send_slot(tests.tenant('a'), pg_temp.id('pro'), 'email', '2027-05-04 09:00 Europe/Paris'),
          timestamptz '2027-05-05 10:00 Europe/Paris', 'the frequency cap pushes the slot to 48 h after the last touch');
select is(private.next_send_slot(tests.tenant('a'), pg_temp.id('consumer'), 'sms', '2027-03-30 10:00 Europe/Paris'), null,
          'no slot ever without consent');

-- ---------------------------------------------------------------- the app's RPC
select pg_temp.id('pro') as pro_id, pg_temp.id('consumer') as consumer_id \gset
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format('select * from contact_send_check(%L, %L)', :'pro_id', 'email')), '42501', 'contact_send_check refuses another tenant''s contact');
select tests.authenticate_as(tests.uid('a_assistant'));
select is((select reason from contact_send_check(:'consumer_id', 'sms', '2027-03-30 10:00 Europe/Paris')), 'no_consent', 'contact_send_check explains a refusal to a member');
select tests.clear_authentication();

select * from finish();
rollback;
