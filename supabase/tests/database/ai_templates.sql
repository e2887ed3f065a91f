-- Template library (platform, read-only through the API), duplication into a
-- tenant with variables validated, the guidelines the AI learns from (RLS per
-- role, two tenants), and per-template performance from the message ledger.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(31);

-- ---------------------------------------------------------------- library
select cmp_ok((select count(*) from template_library), '>=', 50::bigint, 'the library ships at least 50 templates');
select is((select count(distinct category) from template_library), 7::bigint, 'seven categories are covered');
select is((select array_agg(distinct channel::text order by channel::text) from template_library), array['email', 'sms', 'whatsapp'], 'e-mail, SMS and WhatsApp templates');
select is((select count(*) from template_library where language <> 'fr'), 0::bigint, 'the library is French');
select is((select count(*) from template_library where not (variables <@ private.template_variables())), 0::bigint, 'every library variable is known');
select is((select count(*) from template_library where channel = 'sms' and char_length(body) > 150), 0::bigint, 'SMS templates stay short before variables are filled');
select is((select count(*) from template_library where not ('firstName' = any (variables))), 0::bigint, 'every template greets the contact by name');

select tests.authenticate_as(tests.uid('a_assistant'));
select cmp_ok(tests.visible_rows('public.template_library'), '>=', 50::bigint, 'any member reads the library');
select is(tests.error_of($$insert into template_library (key, channel, category, target_segment, name, body) values ('x', 'sms', 'follow_up', 'owners', 'X', 'y')$$),
  '42501', 'a member cannot add to the library');
select tests.authenticate_as(tests.uid('a_owner'));
select is(tests.error_of($$update template_library set body = 'piraté' where key = 'valuation_sms'$$), '42501', 'even an owner cannot change the library');
select is(tests.error_of($$delete from template_library$$), '42501', 'nor delete from it');
select tests.authenticate_as(tests.uid('stranger'));
select is(tests.visible_rows('public.template_library'), 0::bigint, 'a signed-in user of no agency does not read the library');
select tests.authenticate_as_anon();
select is(tests.visible_rows('public.template_library'), -1::bigint, 'anon has no access to the library');
select tests.clear_authentication();
select is(tests.error_of($$insert into template_library (key, channel, category, target_segment, name, subject, body) values ('bad', 'email', 'follow_up', 'owners', 'Bad', 'S', 'Bonjour {{prenom}}')$$),
  '22023', 'the library refuses unknown variables too');

-- ---------------------------------------------------------------- duplicate and validate
select tests.authenticate_as(tests.uid('a_agent'));
select lives_ok(format($$insert into message_templates (tenant_id, channel, language, name, category, subject, body, source_key)
  select %L, channel, language, name || ' (copie)', category, subject, body, key from template_library where key = 'valuation_offer_email'$$, tests.tenant('a')),
  'an agent duplicates a library template into the agency');
select is((select variables from message_templates where source_key = 'valuation_offer_email'),
  (select variables from template_library where key = 'valuation_offer_email'), 'the copy keeps the variables');
select is(tests.error_of($$update message_templates set body = 'Bonjour {{prénom}} de {{ville}}' where source_key = 'valuation_offer_email'$$),
  '22023', 'an edit with unknown variables is refused');
select is(template_unknown_variables('Votre bien à {{city}}', 'Bonjour {{prénom}}, {{firstName}} {{ville}}'), array['prénom', 'ville'],
  'template_unknown_variables names the unknown variables before saving');
select is(template_unknown_variables(null, 'Bonjour {{firstName}}'), '{}'::text[], 'and nothing for a valid text');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.visible_rows('public.message_templates', $$source_key = 'valuation_offer_email'$$), 0::bigint, 'tenant B does not see A''s copy');

-- ---------------------------------------------------------------- guidelines
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.visible_rows('public.ai_guidelines'), 1::bigint, 'an assistant reads the agency''s guidelines');
select is(tests.error_of(format($$insert into ai_guidelines (tenant_id, text) values (%L, 'Plus court')$$, tests.tenant('a'))), '42501',
  'an assistant cannot teach the AI');
select tests.authenticate_as(tests.uid('a_agent2'));
select lives_ok(format($$insert into ai_guidelines (tenant_id, kind, text) values (%L, 'correction', '  Signer   « L''équipe »  ')$$, tests.tenant('a')),
  'an agent adds a guideline as themselves');
select is((select text from ai_guidelines where created_by = tests.uid('a_agent2')), 'Signer « L''équipe »', 'the text is tidied');
select is(tests.rows_affected($$update ai_guidelines set active = false where created_by = tests.uid('a_agent')$$), 0::bigint,
  'an agent cannot switch off a colleague''s guideline');
select is(tests.error_of(format($$insert into ai_guidelines (tenant_id, text, created_by) values (%L, 'Usurpé', %L)$$, tests.tenant('a'), tests.uid('a_agent'))),
  '42501', 'nor write one in a colleague''s name');
select tests.authenticate_as(tests.uid('a_admin'));
select is(tests.rows_affected($$update ai_guidelines set active = false where created_by = tests.uid('a_agent')$$), 1::bigint,
  'an admin switches any guideline off');
select is(tests.error_of(format($$insert into ai_guidelines (tenant_id, text) values (%L, 'x')$$, tests.tenant('a'))), '23514', 'a guideline has a few words at least');

-- ---------------------------------------------------------------- performance from the ledger
select tests.clear_authentication();
do $$
declare
  a uuid := tests.tenant('a');
  tpl uuid; sq uuid; st uuid; c uuid := 'c0000000-0000-4000-8000-0000000000a2';
  s1 uuid; s2 uuid;
begin
  select id into tpl from public.message_templates where tenant_id = a and source_key = 'valuation_offer_email';
  insert into public.sequences (tenant_id, name, status, audience) values (a, 'Perf', 'draft', 'segment') returning id into sq;
  insert into public.sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants)
  values (a, sq, 1, 0, 'email', jsonb_build_array(jsonb_build_object('key', 'A', 'subject', 's', 'body', 'b', 'template_id', tpl))) returning id into st;
  insert into public.message_sends (tenant_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, sent_at)
  values (a, st, sq, c, 'email', 'perf-1', 'A', 'delivered', now() - interval '2 days') returning id into s1;
  insert into public.message_sends (tenant_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, sent_at)
  values (a, st, sq, 'c0000000-0000-4000-8000-0000000000a1', 'email', 'perf-2', 'A', 'sent', now() + interval '1 day') returning id into s2;
  insert into public.message_sends (tenant_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status)
  values (a, st, sq, c, 'email', 'perf-3', 'A', 'failed');
  insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id) values
    (a, s1, c, 'opened', 'brevo', 'perf-o1'), (a, s1, c, 'replied', 'brevo', 'perf-r1'), (a, s2, null, 'opened', 'brevo', 'perf-o2');
end $$;
select tests.authenticate_as(tests.uid('a_agent'));
select is((select row(sent, opened, replied, converted)::text from template_performance where source_key = 'valuation_offer_email'),
  '(2,2,1,1)', 'sent counts delivered and sent only; opens and replies come from the events; a deal created after a send converts, one created before does not');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.visible_rows('public.template_performance'), 0::bigint, 'tenant B sees none of A''s performance');
select tests.authenticate_as_anon();
select is(tests.visible_rows('public.template_performance'), -1::bigint, 'anon cannot read performance');
select tests.clear_authentication();

select * from finish();
rollback;
