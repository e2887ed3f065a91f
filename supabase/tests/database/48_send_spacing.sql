-- Random spacing between consecutive sends of a tenant on a channel
-- (tenant_sending_settings.send_spacing_min/max_seconds): the tick gives each
-- queue message of a spaced tenant a slot (its pgmq visibility), gaps drawn
-- in [min, max], continued across ticks; other tenants' sends stay visible at once.
begin;
\ir _helpers.psql
select tests.hold_sending_tick();
select tests.seed_two_tenants();
select plan(13);

update tenants set plan = 'pro' where id in (tests.tenant('a'), tests.tenant('b'));
insert into tenant_sending_settings (tenant_id) values (tests.tenant('a')), (tests.tenant('b')) on conflict (tenant_id) do nothing;

-- ---------------------------------------------------------------- settings
select is(tests.error_of($$update tenant_sending_settings set send_spacing_min_seconds = 90, send_spacing_max_seconds = 30 where tenant_id = tests.tenant('a')$$),
          '23514', 'min above max is refused');
select is(tests.error_of($$update tenant_sending_settings set send_spacing_min_seconds = 0, send_spacing_max_seconds = 601 where tenant_id = tests.tenant('a')$$),
          '23514', 'more than 10 minutes between two sends is refused');
update tenant_sending_settings set send_spacing_min_seconds = 30, send_spacing_max_seconds = 90 where tenant_id = tests.tenant('a');

-- Six companies per tenant (distinct names: the per-company cap lets each one go), one e-mail step due now.
insert into contacts (id, tenant_id, kind, company_name, first_name, email)
select ('c0000000-0000-4000-8000-000005' || t.l || lpad(i::text, 5, '0'))::uuid, tests.tenant(t.n), 'company',
       'Spaced ' || t.n || ' ' || i, 'Paul', 'contact' || i || '@spaced-' || t.n || '.fr'
  from generate_series(1, 6) i cross join (values ('a', 'a'), ('b', 'b')) t(n, l);
insert into sequences (id, tenant_id, name, status, audience) values
  ('c8a50000-0000-4000-8000-0000000005a1', tests.tenant('a'), 'Spaced', 'active', 'segment'),
  ('c8a50000-0000-4000-8000-0000000005b1', tests.tenant('b'), 'Not spaced', 'active', 'segment');
insert into sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants)
select tenant_id, id, 1, 0, 'email', '[{"key":"A","subject":"Bonjour {{firstName}}","body":"x"}]' from sequences
 where id in ('c8a50000-0000-4000-8000-0000000005a1', 'c8a50000-0000-4000-8000-0000000005b1');
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
select c.tenant_id, s.id, c.id, '2027-03-30 10:00 Europe/Paris'
  from contacts c join sequences s on s.tenant_id = c.tenant_id and s.id in ('c8a50000-0000-4000-8000-0000000005a1', 'c8a50000-0000-4000-8000-0000000005b1')
 where c.id::text like 'c0000000-0000-4000-8000-000005%' and c.id::text not like '%00006';

-- Visibility of each send's queue message, relative to the tick's start.
create temp table t0 as select clock_timestamp() as at;
create temp table tick1 as select private.run_tick('2027-03-30 10:00 Europe/Paris') as r;
create or replace function pg_temp.slots(p_tenant uuid) returns table (send_id uuid, vt timestamptz) language sql as $$
  select ms.id, q.vt from message_sends ms join pgmq.q_email q on q.message ->> 'sendId' = ms.id::text
   where ms.tenant_id = p_tenant and ms.sequence_id in ('c8a50000-0000-4000-8000-0000000005a1', 'c8a50000-0000-4000-8000-0000000005b1')
$$;
create or replace function pg_temp.gaps(p_tenant uuid) returns setof numeric language sql as $$
  select extract(epoch from vt - lag(vt) over (order by vt)) from pg_temp.slots(p_tenant) offset 1
$$;

select is((select (r ->> 'enqueued')::int from tick1), 10, 'the tick enqueued five sends per tenant');
select is((select (r ->> 'spaced')::int from tick1), 5, '… and gave each of the spaced tenant''s sends its slot');
select ok((select min(vt) <= clock_timestamp() from pg_temp.slots(tests.tenant('a'))), 'the spaced tenant''s first send is visible at once');
select ok((select bool_and(g between 30 and 90) and count(*) = 4 from pg_temp.gaps(tests.tenant('a')) g),
          '… each next one 30 to 90 s after the previous');
select ok((select count(distinct round(g, 3)) > 1 from pg_temp.gaps(tests.tenant('a')) g), '… with random gaps, not a fixed beat');
select ok((select max(vt) <= clock_timestamp() from pg_temp.slots(tests.tenant('b'))), 'a tenant without spacing: every send visible at once');
select ok((select next_at - (select max(vt) from pg_temp.slots(tests.tenant('a'))) between interval '30 seconds' and interval '90 seconds'
             from private.send_spacing where tenant_id = tests.tenant('a') and queue = 'email'),
          'the tenant''s next free slot is one gap after its last send');
select is((select count(*)::int from private.send_spacing where tenant_id = tests.tenant('b')), 0, '… and none is kept for the tenant without spacing');

-- The next tick continues the spacing instead of starting a new burst.
create temp table before2 as select next_at from private.send_spacing where tenant_id = tests.tenant('a') and queue = 'email';
insert into sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
values (tests.tenant('a'), 'c8a50000-0000-4000-8000-0000000005a1', 'c0000000-0000-4000-8000-000005a00006', '2027-03-30 10:01 Europe/Paris');
select is((private.run_tick('2027-03-30 10:01 Europe/Paris') ->> 'spaced')::int, 1, 'the next tick spaces its one send');
select is((select q.vt from message_sends ms join pgmq.q_email q on q.message ->> 'sendId' = ms.id::text
            where ms.contact_id = 'c0000000-0000-4000-8000-000005a00006'), (select next_at from before2),
          'a send of the next tick takes the tenant''s next free slot');
select ok((select next_at > (select next_at from before2) from private.send_spacing where tenant_id = tests.tenant('a') and queue = 'email'),
          '… which moves on');

select * from finish();
rollback;
