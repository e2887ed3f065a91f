-- Export limits per role (docs/import.md): assistants cannot export; agents are capped
-- per export and per rolling 24 hours (counted from the audit trail); admins and
-- owners keep the 50,000-row ceiling with no daily cap. Records of generated bases
-- leave only up to the plan's monthly allowance (docs/bases.md), whatever the role.
-- Errors carry a stable code, their figures as JSON detail and a French hint.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(27);

-- The documented defaults.
select results_eq($$select role::text, max_rows_per_export, max_rows_per_day from private.export_role_limits order by role$$,
  $$values ('admin', 50000, null::integer), ('agent', 1000, 5000), ('owner', 50000, null::integer)$$,
  'agents: 1,000 rows per export and 5,000 per 24 hours; admins and owners: 50,000 per export');

-- Small figures for the test: 3 per export, 5 per 24 hours for agents.
update private.export_role_limits set max_rows_per_export = 3, max_rows_per_day = 5 where role = 'agent';
insert into contacts (tenant_id, kind, first_name, last_name, email, tags)
select tests.tenant('a'), 'person', 'Export', 'Test ' || i, 'export' || i || '@example.fr', array['export-test']
  from generate_series(1, 4) i;
insert into contacts (tenant_id, kind, first_name, last_name, email, tags)
values (tests.tenant('b'), 'person', 'Autre', 'Agence', 'autre@example.fr', array['export-test']);
create temp table picked (n int primary key, id uuid);
insert into picked select row_number() over (order by email), id from contacts where tenant_id = tests.tenant('a') and 'export-test' = any (tags);
create temp table other_tenant as select id from contacts where tenant_id = tests.tenant('b') and email = 'autre@example.fr';
grant select on picked, other_tenant to authenticated;

-- Assistants: refused, as before.
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format($$select export_contacts(%L, '{"tags": ["export-test"]}')$$, tests.tenant('a'))), '42501', 'an assistant cannot export');
select is((export_allowance(tests.tenant('a')) ->> 'allowed')::boolean, false, 'the allowance tells an assistant they cannot export');

-- An agent: over the per-export cap, a clear refusal and nothing written to the audit trail.
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format($$select export_contacts(%L, '{"tags": ["export-test"]}')$$, tests.tenant('a'))), '54000', 'an agent cannot export 4 rows when the cap is 3');
select is(tests.error_detail(format($$select export_contacts(%L, '{"tags": ["export-test"]}')$$, tests.tenant('a')))::jsonb,
  '{"max_rows": 3, "role": "agent"}'::jsonb, 'the refusal names the cap and the role');
select throws_ok(format($$select export_contacts(%L, '{"tags": ["export-test"]}')$$, tests.tenant('a')), '54000', 'export_role_limit',
  'the refusal has a stable code');
select is(export_allowance(tests.tenant('a')), '{"role": "agent", "allowed": true, "max_rows_per_export": 3, "max_rows_per_day": 5, "remaining_today": 5}'::jsonb,
  'the allowance of an agent before any export');

-- Within the cap: 3 selected rows go out, 3 audit rows.
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{}', (select array_agg(id) from picked where n <= 3))), 3, 'an agent exports 3 selected rows');
select is((export_allowance(tests.tenant('a')) ->> 'remaining_today')::int, 2, '2 rows left in the 24 hours');
-- Over the daily cap: 3 more would make 6 > 5.
select is(tests.error_detail(format($$select export_contacts(%L, '{}', %L)$$, tests.tenant('a'), (select array_agg(id) from picked where n >= 2)))::jsonb,
  '{"max_rows": 5, "used": 3, "remaining": 2, "role": "agent"}'::jsonb, 'the daily cap refuses 3 more rows and says how many are left');
select throws_ok(format($$select export_contacts(%L, '{}', %L)$$, tests.tenant('a'), (select array_agg(id) from picked where n >= 2)), '54000', 'export_daily_limit',
  'the daily refusal has its own code');
-- What is left still fits.
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{}', (select array_agg(id) from picked where n >= 3))), 2, 'the 2 remaining rows can still be exported');
select is(tests.error_of(format($$select export_contacts(%L, '{}', %L)$$, tests.tenant('a'), (select array_agg(id) from picked where n = 1))), '54000', 'then nothing more today');
-- The cap is per member: another agent of the same agency has their own 24 hours.
select tests.authenticate_as(tests.uid('a_agent2'));
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{}', (select array_agg(id) from picked where n <= 2))), 2, 'another agent has their own allowance');
-- Another tenant's contacts never come out (a filter cannot reach them).
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["export-test"]}', (select array_agg(id) from other_tenant))), 0,
  'ids of another agency export nothing');
select tests.clear_authentication();
select is((select count(*) from audit_log where action = 'export' and actor_id = tests.uid('a_agent')), 5::bigint, 'only the exports that went through are in the audit trail');

-- Exports older than 24 hours no longer count.
alter table audit_log disable trigger audit_log_append_only;
update audit_log set occurred_at = now() - interval '25 hours' where action = 'export' and actor_id = tests.uid('a_agent');
alter table audit_log enable trigger audit_log_append_only;
select tests.authenticate_as(tests.uid('a_agent'));
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{}', (select array_agg(id) from picked where n <= 3))), 3, 'the 24 hours roll');

-- Admins and owners: the whole filtered list, no daily cap.
select tests.authenticate_as(tests.uid('a_admin'));
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["export-test"]}')), 4, 'an admin exports the 4 rows');
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["export-test"]}')), 4, 'and again: no daily cap');
select tests.authenticate_as(tests.uid('a_owner'));
select is(export_allowance(tests.tenant('a')), '{"role": "owner", "allowed": true, "max_rows_per_export": 50000, "max_rows_per_day": null, "remaining_today": null}'::jsonb,
  'an owner has the 50,000-row ceiling and no daily cap');
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["export-test"]}', null, 'xlsx')), 4, 'an owner exports the 4 rows');

-- Generated-base records: the plan's monthly allowance (2 for the test), whatever the role.
select tests.clear_authentication();
update private.generation_plan_limits set monthly_export_rows = 2 where plan = 'trial';
insert into contacts (tenant_id, kind, company_name, siret, source, tags)
select tests.tenant('a'), 'company', 'Société générée ' || i, s, 'generation', array['generated-test']
  from (values (1, '72835450700002'), (2, '75516752500004'), (3, '50812506900007')) v(i, s);
create temp table generated as select id, row_number() over (order by company_name) n from contacts where 'generated-test' = any (tags);
grant select on generated to authenticated;
select tests.authenticate_as(tests.uid('a_owner'));
select is(tests.error_detail(format($$select export_contacts(%L, '{"tags": ["generated-test"]}')$$, tests.tenant('a')))::jsonb,
  '{"max_rows": 2, "used": 0, "remaining": 2, "generated": 3}'::jsonb, 'three generated records do not fit a monthly allowance of 2, even for an owner');
select throws_ok(format($$select export_contacts(%L, '{"tags": ["generated-test"]}')$$, tests.tenant('a')), '54000', 'export_plan_limit',
  'the plan refusal has its own code');
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{}', (select array_agg(id) from (select id from generated where n <= 2 union all select id from picked) x))),
  6, 'two generated records and four others fit');
select is(tests.error_detail(format($$select export_contacts(%L, '{}', %L)$$, tests.tenant('a'), (select array_agg(id) from generated where n = 3)))::jsonb,
  '{"max_rows": 2, "used": 2, "remaining": 0, "generated": 1}'::jsonb, 'the month''s allowance is spent');
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["export-test"]}')), 4, 'records that were not generated still go out');
select tests.clear_authentication();
select is((select rows_exported from private.generated_export_usage where tenant_id = tests.tenant('a')), 2, 'the month''s counter holds the 2 exported generated records');

select * from finish();
rollback;
