-- Two simultaneous inserts of the same contact (docs/security.md, duplicate_contact):
-- the second transaction must get the stable code with the existing contact, not the raw
-- error of the unique index contacts_tenant_{email,phone,siret}_key. A race needs two
-- real sessions, so this file drives them through dblink; they commit, hence a tenant of
-- its own, removed at the end (and before, should an earlier run have died midway).
begin;
\ir _helpers.psql
create extension if not exists dblink with schema extensions;

select plan(9);

select format('dbname=%s port=%s host=%s user=%s', current_database(), current_setting('port'),
              coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)), current_user) as conn \gset

-- The second session's outcome: SQLSTATE, message and detail of its error, or its row.
create function pg_temp.outcome(p_conn text)
returns jsonb
language plpgsql
as $$
declare s text; m text; d text; r jsonb;
begin
  select to_jsonb(t) into r from dblink_get_result(p_conn) as t(id uuid);
  perform * from dblink_get_result(p_conn) as t(id uuid);
  return jsonb_build_object('row', r);
exception when others then
  get stacked diagnostics s = returned_sqlstate, m = message_text, d = pg_exception_detail;
  perform * from dblink_get_result(p_conn, false) as t(id uuid);
  return jsonb_build_object('sqlstate', s, 'message', m, 'detail', case when d ~ '^\{' then d::jsonb else to_jsonb(d) end);
end;
$$;

-- Waits (up to 60 s) until the session running p_marker is blocked on a lock.
create function pg_temp.wait_blocked(p_marker text)
returns boolean
language plpgsql
as $$
begin
  for i in 1..1200 loop
    perform pg_stat_clear_snapshot();
    if exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%' || p_marker || '%' and pid <> pg_backend_pid()) then
      return true;
    end if;
    perform pg_sleep(0.05);
  end loop;
  return false;
end;
$$;

select dblink_connect('setup', :'conn');
select dblink_exec('setup', $$delete from public.tenants where id = '0e000000-0000-4000-8000-0000000000e1'$$);
select dblink_exec('setup', $$insert into public.tenants (id, slug, legal_name) values ('0e000000-0000-4000-8000-0000000000e1', 'agence-course', 'Agence Course SARL')$$);
select dblink_connect('first', :'conn');
select dblink_connect('second', :'conn');

-- ---------------------------------------------------------------- same e-mail
select dblink_exec('first', 'begin');
select dblink_exec('first', $$insert into public.contacts (id, tenant_id, first_name, email)
  values ('c0000000-0000-4000-8000-0000000000e1', '0e000000-0000-4000-8000-0000000000e1', 'Rachel', 'rachel.roux@example.fr')$$);
select dblink_send_query('second', $$insert into public.contacts (tenant_id, first_name, email)
  values ('0e000000-0000-4000-8000-0000000000e1', 'Rachel race-email', ' Rachel.Roux@Example.fr') returning id$$);
select ok(pg_temp.wait_blocked('race-email'), 'the second insert of the same e-mail waits for the first transaction');
select dblink_exec('first', 'commit');
select pg_temp.outcome('second') as email_race \gset
select is((:'email_race'::jsonb) ->> 'sqlstate', '23505', 'the loser gets SQLSTATE 23505');
select is((:'email_race'::jsonb) ->> 'message', 'duplicate_contact', 'the loser gets duplicate_contact, not the unique index message');
select is((:'email_race'::jsonb) -> 'detail', '{"field": "email", "existing_contact_id": "c0000000-0000-4000-8000-0000000000e1"}'::jsonb,
  'its detail names the field and the contact the first transaction created');

-- ---------------------------------------------------------------- same phone, the winner rolls back
select dblink_exec('first', 'begin');
select dblink_exec('first', $$insert into public.contacts (tenant_id, first_name, phone)
  values ('0e000000-0000-4000-8000-0000000000e1', 'Paul', '+33612340001')$$);
select dblink_send_query('second', $$insert into public.contacts (id, tenant_id, first_name, phone)
  values ('c0000000-0000-4000-8000-0000000000e2', '0e000000-0000-4000-8000-0000000000e1', 'Paul race-phone', '+33 6 12 34 00 01') returning id$$);
select ok(pg_temp.wait_blocked('race-phone'), 'the second insert of the same phone waits for the first transaction');
select dblink_exec('first', 'rollback');
select is(pg_temp.outcome('second'), '{"row": {"id": "c0000000-0000-4000-8000-0000000000e2"}}'::jsonb,
  'when the first transaction rolls back, the second insert goes through');

-- ---------------------------------------------------------------- same SIRET
select dblink_exec('first', 'begin');
select dblink_exec('first', $$insert into public.contacts (id, tenant_id, kind, company_name, siret)
  values ('c0000000-0000-4000-8000-0000000000e3', '0e000000-0000-4000-8000-0000000000e1', 'company', 'Arche', '73282932000074')$$);
select dblink_send_query('second', $$insert into public.contacts (tenant_id, kind, company_name, siret)
  values ('0e000000-0000-4000-8000-0000000000e1', 'company', 'Arche race-siret', '732 829 320 00074') returning id$$);
select ok(pg_temp.wait_blocked('race-siret'), 'the second insert of the same SIRET waits for the first transaction');
select dblink_exec('first', 'commit');
select pg_temp.outcome('second') as siret_race \gset
select is((:'siret_race'::jsonb) - 'detail', '{"sqlstate": "23505", "message": "duplicate_contact"}'::jsonb, 'a SIRET race gives duplicate_contact too');

select is(dblink_exec('setup', $$delete from public.tenants where id = '0e000000-0000-4000-8000-0000000000e1'$$), 'DELETE 1', 'the race tenant is removed');

select dblink_disconnect('first');
select dblink_disconnect('second');
select dblink_disconnect('setup');

select * from finish();
rollback;
