-- AI tables: the usage ledger is append-only and written by the service role
-- only; budgets (plan default, override, Enterprise exempt), month-to-date
-- spend, the 80 % / 120 % notifications once per month, the 120 % guard on
-- generations; templates' variable validation; the feedback loop columns.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(34);

-- ---------------------------------------------------------------- ai_usage
select tests.authenticate_as(tests.uid('a_owner'));
select is(tests.visible_rows('public.ai_usage'), 1::bigint, 'owner reads the tenant''s AI ledger');
select is(tests.error_of(format($$insert into ai_usage (tenant_id, task, model, outcome) values (%L, 'message.generate', 'gpt-4o-mini', 'ok')$$, tests.tenant('a'))),
  '42501', 'even the owner cannot write the ledger');
select is(tests.error_of($$update ai_usage set cost_eur = 0$$), '42501', 'nor change it');
select is(tests.error_of($$delete from ai_usage$$), '42501', 'nor delete from it');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.visible_rows('public.ai_usage'), 0::bigint, 'an agent does not read the ledger (settings are admin business)');
select is(tests.visible_rows('public.tenant_ai_budgets'), 0::bigint, 'an agent does not read the budget override table');
select is((select state from ai_budget_status(tests.tenant('a'))), 'ok', 'an agent reads the budget state through ai_budget_status');
select is(tests.error_of(format('select * from ai_budget_status(%L)', tests.tenant('b'))), '42501', 'ai_budget_status refuses another tenant');

select tests.authenticate_as_service_role();
select lives_ok(format($$insert into ai_usage (tenant_id, task, model, prompt_tokens, completion_tokens, cost_eur, latency_ms, outcome)
  values (%L, 'message.generate', 'gpt-4o-mini', 10, 10, 0.001, 5, 'ok')$$, tests.tenant('a')), 'the service role records usage');
select is(tests.error_of(format($$insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (%L, 'message.generate', 'gpt-4o-mini', 0.01, 'error')$$, tests.tenant('a'))),
  '23514', 'a failed call cannot be charged');
select is(tests.error_of($$update ai_usage set cost_eur = 0$$), '42501', 'the ledger is append-only for the service role too');
select tests.clear_authentication();
select is(tests.error_of($$delete from ai_usage$$), '42501', 'and for the superuser');

-- ---------------------------------------------------------------- budgets
select is((select budget_eur from private.ai_budget_state(tests.tenant('a'))), 50.00::numeric, 'the override sets the budget');
delete from tenant_ai_budgets where tenant_id = tests.tenant('a');
select is((select budget_eur from private.ai_budget_state(tests.tenant('a'))), 5.00::numeric, 'without an override the plan default applies (trial: 5 €)');
select is((select spent_eur from private.ai_budget_state(tests.tenant('a'))), 0.001300::numeric, 'month-to-date spend sums this month''s costs');
insert into ai_usage (tenant_id, task, model, cost_eur, outcome, created_at)
  values (tests.tenant('a'), 'message.generate', 'gpt-4o-mini', 3.0, 'ok', date_trunc('month', now() at time zone 'Europe/Paris') at time zone 'Europe/Paris' - interval '1 minute');
select is((select spent_eur from private.ai_budget_state(tests.tenant('a'))), 0.001300::numeric, 'last month''s spend is not counted');

insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (tests.tenant('a'), 'message.generate', 'gpt-4o-mini', 3.5, 'ok');
select is((select state from private.ai_budget_state(tests.tenant('a'))), 'ok', '70 %: ok');
select is((select count(*) from notifications where kind = 'ai.budget_warning'), 0::bigint, 'no warning below 80 %');
insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (tests.tenant('a'), 'message.generate', 'gpt-4o-mini', 0.6, 'ok');
select is((select state from private.ai_budget_state(tests.tenant('a'))), 'warning', '82 %: warning');
select is((select array_agg(distinct user_id order by user_id) from notifications where kind = 'ai.budget_warning' and tenant_id = tests.tenant('a')),
  array[tests.uid('a_owner'), tests.uid('a_admin')]::uuid[] , 'crossing 80 % notifies the owner and the admins');
select is((select payload ->> 'code' from notifications where kind = 'ai.budget_warning' limit 1), 'ai_budget_warning', 'the notification carries a stable code');
insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (tests.tenant('a'), 'message.generate', 'gpt-4o-mini', 0.2, 'ok');
select is((select count(*) from notifications where kind = 'ai.budget_warning'), 2::bigint, 'the warning is sent once per month');

select tests.authenticate_as(tests.uid('a_agent'));
select lives_ok(format($$insert into ai_generations (tenant_id, user_id, channel, language, variants) values (%L, %L, 'sms', 'fr', '[{"body":"x"}]')$$,
  tests.tenant('a'), tests.uid('a_agent')), 'below 120 % a member records a generation');
select tests.clear_authentication();
insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (tests.tenant('a'), 'message.generate', 'gpt-4o-mini', 1.8, 'ok');
select is((select state from private.ai_budget_state(tests.tenant('a'))), 'blocked', '124 %: blocked');
select is((select count(*) from notifications where kind = 'ai.budget_exceeded'), 2::bigint, 'crossing 120 % notifies the admins once');
select tests.authenticate_as(tests.uid('a_agent'));
select throws_ok(format($$insert into ai_generations (tenant_id, user_id, channel, language, variants) values (%L, %L, 'sms', 'fr', '[{"body":"x"}]')$$,
  tests.tenant('a'), tests.uid('a_agent')), 'P0001', 'ai_budget_exceeded', 'at 120 % the database refuses the generation');
select tests.clear_authentication();
update tenants set plan = 'enterprise' where id = tests.tenant('a');
select is((select state from private.ai_budget_state(tests.tenant('a'))), 'exempt', 'Enterprise is exempt');
select tests.authenticate_as(tests.uid('a_agent'));
select lives_ok(format($$insert into ai_generations (tenant_id, user_id, channel, language, variants) values (%L, %L, 'sms', 'fr', '[{"body":"x"}]')$$,
  tests.tenant('a'), tests.uid('a_agent')), 'an Enterprise tenant generates whatever it spent');

-- ---------------------------------------------------------------- templates
select is(tests.error_detail(format($$insert into message_templates (tenant_id, channel, name, body) values (%L, 'sms', 'X', 'Bonjour {{prenom}} {{city}}')$$, tests.tenant('a')))::jsonb -> 'variables',
  '["prenom"]'::jsonb, 'an unknown variable is refused and named');
select is((select variables from message_templates where id = '7e000000-0000-4000-8000-0000000000a1'),
  array['agencyName', 'city', 'civility', 'lastName'], 'the variables a template uses are listed');
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format($$insert into message_templates (tenant_id, channel, name, body) values (%L, 'sms', 'Y', 'Bonjour')$$, tests.tenant('a'))),
  '42501', 'an assistant cannot create templates');

-- ---------------------------------------------------------------- feedback loop
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.rows_affected($$update ai_generations set chosen_variant = 1, edited_body = 'Texte corrigé' where variants -> 0 ->> 'subject' = 'A1'$$), 1::bigint,
  'the author chooses and edits a variant');
select is(tests.error_of($$update ai_generations set variants = '[]' where variants -> 0 ->> 'subject' = 'A1'$$), '42501', 'the generated variants cannot be rewritten');
select tests.authenticate_as(tests.uid('a_agent2'));
select is(tests.rows_affected($$update ai_generations set feedback = 'x' where variants -> 0 ->> 'subject' = 'A1'$$), 0::bigint,
  'another agent cannot edit a colleague''s feedback');
select tests.clear_authentication();

select * from finish();
rollback;
