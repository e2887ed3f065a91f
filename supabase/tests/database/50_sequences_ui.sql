-- The sequences screens' RPCs (20261207080000_sequences_ui.sql): saving the
-- path (and versioning it once enrolments run it), launch/pause/resume/archive,
-- the re-evaluated audience, the preview that flags held contacts, the funnel
-- per step and variant, the list's health figures, the per-contact table, the
-- A/B override; roles and tenant isolation for each.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(45);

-- A second contact in A's base, without a first name (a template using {{firstName}} holds it).
insert into public.contacts (id, tenant_id, kind, company_name, email, phone)
values ('c0000000-0000-4000-8000-0000000000a9', tests.tenant('a'), 'company', 'Atelier Sans Prénom', 'atelier@example.fr', '+33612345609');
insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id)
values (tests.tenant('a'), 'ba000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a9');

select tests.authenticate_as(tests.uid('a_agent'));
insert into public.sequences (tenant_id, name, audience, prospect_base_id)
values (tests.tenant('a'), 'Vendeurs Neuilly', 'base', 'ba000000-0000-4000-8000-0000000000a1')
returning id as s \gset
select tests.clear_authentication();

create temp table steps_v1 (doc jsonb) on commit drop;
grant select on steps_v1 to authenticated;
insert into steps_v1 values ('[
  {"day_offset":0,"channel":"email","condition":"always","variants":[
     {"key":"A","subject":"Bonjour {{firstName}}","body":"{{agencyName}} estime votre bien, {{lastName}}."},
     {"key":"B","subject":"Votre estimation offerte","body":"{{agencyName}} vous offre une estimation."}]},
  {"day_offset":3,"channel":"sms","condition":"not_opened","variants":[{"key":"A","body":"{{agencyName}} : avez-vous vu notre e-mail ?"}]},
  {"day_offset":2,"channel":"task","task_kind":"call","condition":"no_reply","variants":[{"key":"A","body":"Appeler pour l''estimation"}],
   "window_days":[1,2,3,4,5],"window_start":"10:00","window_end":"12:00"}
]');

-- ---------------------------------------------------------------- save
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format('select public.save_sequence_steps(%L, %L)', :'s', (select doc from steps_v1))), '42501',
          'an assistant cannot edit a sequence''s steps');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format('select public.save_sequence_steps(%L, %L)', :'s', (select doc from steps_v1))), '42501',
          'another agency''s owner cannot edit it');
select tests.authenticate_as(tests.uid('a_agent'));
select is(public.save_sequence_steps(:'s', (select doc from steps_v1)), '{"version": 1, "new_version": false}'::jsonb,
          'an agent saves the path of a draft into its current version');
select is((select count(*)::int from public.sequence_steps where sequence_id = :'s' and version = 1), 3, 'three steps saved');
select is((select array_agg(channel::text || ':' || condition::text || ':' || day_offset order by position) from public.sequence_steps where sequence_id = :'s'),
          array['email:always:0', 'sms:not_opened:3', 'task:no_reply:2'], 'in order, with channel, condition and day offset');
select is((select window_days::int[] || array[extract(hour from window_start)::int, extract(hour from window_end)::int] from public.sequence_steps where sequence_id = :'s' and position = 3),
          array[1, 2, 3, 4, 5, 10, 12], 'the step''s own send window is kept');
select is((select task_kind from public.sequence_steps where sequence_id = :'s' and position = 3), 'call', 'a task step keeps its kind');
select is(public.save_sequence_steps(:'s', (select doc from steps_v1)) ->> 'version', '1', 'saving a draft again replaces its steps in place');
select is((select count(*)::int from public.sequence_steps where sequence_id = :'s'), 3, '… without duplicating them');

select is(tests.error_detail(format('select public.save_sequence_steps(%L, %L)', :'s',
            '[{"channel":"email","variants":[{"key":"A","subject":" ","body":"Bonjour"}]}]')),
          '{"field": "subject", "index": 1, "variant": "A"}', 'an e-mail step without a subject is refused with the field');
select is(tests.error_detail(format('select public.save_sequence_steps(%L, %L)', :'s',
            '[{"channel":"sms","condition":"opened","variants":[{"key":"A","body":"Bonjour"}]}]')),
          '{"field": "condition", "index": 1, "reason": "first_step"}', 'the first step cannot have a condition');
select is(tests.error_detail(format('select public.save_sequence_steps(%L, %L)', :'s',
            '[{"channel":"sms","variants":[{"key":"A","body":"a"},{"key":"B","body":"b"},{"key":"C","body":"c"},{"key":"D","body":"d"}]}]')),
          '{"field": "variants", "index": 1}', 'more than three variants are refused');
select is(tests.error_detail(format('select public.save_sequence_steps(%L, %L)', :'s', '[]')), '{"reason": "count"}', 'a path without steps is refused');
select is(tests.error_of(format('select public.save_sequence_steps(%L, %L)', :'s',
            '[{"channel":"fax","variants":[{"key":"A","body":"x"}]}]')), '22023', 'an unknown channel is refused');

-- ---------------------------------------------------------------- preview
select is((select count(*)::int from public.preview_sequence_step((select id from public.sequence_steps where sequence_id = :'s' and position = 1), 'A')),
          2, 'the preview renders the step for the base''s two contacts');
select is((select array[display_name, array_to_string(missing, ',')] from public.preview_sequence_step((select id from public.sequence_steps where sequence_id = :'s' and position = 1), 'A') where held),
          array['Atelier Sans Prénom', 'firstName,lastName'], 'the contact without a first name is flagged held, with the missing variable');
select is((select subject from public.preview_sequence_step((select id from public.sequence_steps where sequence_id = :'s' and position = 1), 'A') where not held),
          'Bonjour Anne', 'the other contact is rendered with their own data');
select is((select row(audience_total, held_total)::text from public.preview_sequence_step((select id from public.sequence_steps where sequence_id = :'s' and position = 1), 'A') limit 1),
          '(2,1)', 'totals over the audience: 2 contacts, 1 held');
select is((select count(*)::int from public.preview_sequence_step((select id from public.sequence_steps where sequence_id = :'s' and position = 1), 'B') where held),
          0, 'variant B uses no missing variable: nobody held');
select id as step1 from public.sequence_steps where sequence_id = :'s' and position = 1 \gset
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format('select * from public.preview_sequence_step(%L)', :'step1')),
          '42501', 'another agency cannot preview A''s step');

-- ---------------------------------------------------------------- launch, pause, resume
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format('select public.set_sequence_state(%L, %L)', :'s', 'launch')), '42501', 'an assistant cannot launch');
select tests.authenticate_as(tests.uid('a_agent'));
select is(public.set_sequence_state(:'s', 'launch'), '{"status": "active", "enrolled": 2}'::jsonb, 'launch enrols the base''s contacts');
select is((select count(*)::int from public.sequence_enrolments where sequence_id = :'s' and sequence_version = 1 and status = 'active'), 2,
          'both enrolments run version 1');
select is(tests.error_of(format('select public.set_sequence_state(%L, %L)', :'s', 'launch')), '55000', 'a running sequence cannot be launched twice');
select is(public.set_sequence_state(:'s', 'pause') ->> 'status', 'paused', 'pause');
select is((select paused_reason from public.sequences where id = :'s'), 'manual', '… with the reason');
select is(public.set_sequence_state(:'s', 'resume') ->> 'status', 'active', 'resume');
select is(tests.error_of(format('select public.set_sequence_state(%L, %L)', :'s', 'explode')), '22023', 'an unknown action is refused');

-- Re-evaluated audience: a contact added to the base later joins.
update public.sequences set reevaluate_audience = true where id = :'s';
insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id)
values (tests.tenant('a'), 'ba000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a2');
select is((select count(*)::int from public.sequence_enrolments where sequence_id = :'s'), 3, 'a contact added to the base of a re-evaluated sequence is enrolled');

-- ---------------------------------------------------------------- versioning
select is(public.save_sequence_steps(:'s', (select doc - 2 from steps_v1)), '{"version": 2, "new_version": true}'::jsonb,
          'editing a sequence that enrolments run creates version 2');
select is((select array_agg(version order by version) from (select distinct version from public.sequence_steps where sequence_id = :'s') v),
          array[1, 2], 'version 1 is kept for the running enrolments');
select is((select count(*)::int from public.sequence_enrolments where sequence_id = :'s' and sequence_version = 1), 3, 'running contacts stay on version 1');

-- ---------------------------------------------------------------- stats
select tests.clear_authentication();
create temp table sx on commit drop as
select e.id as enrolment_id, e.contact_id, st.id as step_id, st.tenant_id, row_number() over (order by e.contact_id) as n
  from public.sequence_enrolments e
  join public.sequence_steps st on st.sequence_id = e.sequence_id and st.version = 1 and st.position = 1
 where e.sequence_id = :'s';
insert into public.message_sends (tenant_id, enrolment_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, status, sent_at)
select tenant_id, enrolment_id, step_id, :'s', contact_id, 'email', enrolment_id || ':' || step_id, case when n = 1 then 'B' else 'A' end,
       case when n = 3 then 'queued' else 'delivered' end::public.send_status, case when n < 3 then now() end
  from sx;
insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id)
select ms.tenant_id, ms.id, ms.contact_id, t::public.message_event_type, 'brevo', 'ev-' || ms.id || '-' || t || '-' || k
  from public.message_sends ms
  cross join lateral unnest(case when ms.variant = 'A' then array['opened', 'opened', 'clicked'] else array['opened', 'bounced'] end) with ordinality as x(t, k)
 where ms.sequence_id = :'s' and ms.status = 'delivered';
-- An SMS-style reply without a send id counts on the contact's latest send of the sequence.
insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
select ms.tenant_id, null, ms.contact_id, 'replied', 'twilio', 'reply-' || ms.id, now() + interval '1 minute'
  from public.message_sends ms where ms.sequence_id = :'s' and ms.variant = 'A' and ms.status = 'delivered';

select tests.authenticate_as(tests.uid('a_assistant'));
select is((select array[sent, delivered, opened, clicked, replied, bounced, queued] from public.sequence_step_stats(:'s') where version = 1 and position = 1 and variant = 'A'),
          array[1, 1, 1, 1, 1, 0, 1]::bigint[], 'variant A: one sent and opened (opens counted per send), clicked, replied; one still queued');
select is((select array[sent, opened, clicked, bounced] from public.sequence_step_stats(:'s') where version = 1 and position = 1 and variant = 'B'),
          array[1, 1, 0, 1]::bigint[], 'variant B: one sent, opened, bounced');
select is((select count(*)::int from public.sequence_step_stats(:'s') where version = 2 and sent = 0 and variant is null), 2,
          'steps without sends are listed with zeros');
select is((select array[enrolled, sent, opened, clicked, replied, bounced]::int[] from public.sequence_overview(tests.tenant('a')) where id = :'s'),
          array[3, 2, 2, 1, 1, 1], 'the list sums the sends of the sequence');
select is((select audience_size::int from public.sequence_overview(tests.tenant('a')) where id = :'s'), 3, 'audience size = contacts of the base');
select is((select sum(contacts)::int from public.sequence_enrolment_summary(:'s') where status = 'active'), 3, 'the enrolment summary counts active contacts');
select is((select count(*)::int from public.sequence_contacts(:'s', null, 'sans prenom')), 1, 'the per-contact table searches names without accents');

select is((select members::int from public.sequence_bases(tests.tenant('a')) where id = 'ba000000-0000-4000-8000-0000000000a1'), 3,
          'the base picker counts the base''s contacts');

select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*)::int from public.sequence_overview(tests.tenant('a'))), 0, 'another agency sees none of A''s sequences in the list');
select is((select count(*)::int from public.sequence_bases(tests.tenant('a'))), 0, '… nor its bases in the picker');
select is((select count(*)::int from public.sequence_step_stats(:'s')), 0, '… nor their stats');

-- ---------------------------------------------------------------- A/B override
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format('select public.set_ab_winner(%L, %L)', (select id from public.sequence_steps where sequence_id = :'s' and version = 1 and position = 1), 'Z')),
          '22023', 'an unknown variant cannot win');
select is((public.set_ab_winner((select id from public.sequence_steps where sequence_id = :'s' and version = 1 and position = 1), 'B')).winner_variant, 'B',
          'an agent forces variant B on a running version (the A/B decision is not a path edit)');

select * from finish();
rollback;
