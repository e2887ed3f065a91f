-- Conversations: inbound messages recorded once into a (contact, channel)
-- thread, the manual reply RPC through the ledger, queue and gates, the
-- column-level rights of members, and the reply gate (no frequency cap,
-- consent always, WhatsApp 24 h window).
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(22);

-- A B2B contact of A with a sequence e-mail already sent (queued an hour ago).
insert into contacts (id, tenant_id, kind, company_name, first_name, job_title, email, phone)
values ('c0000000-0000-4000-8000-00000000c0a1', tests.tenant('a'), 'person', 'Cabinet Lumière', 'Léa', 'Gérante', 'lea@lumiere.fr', '+33611122233');
insert into message_sends (id, tenant_id, contact_id, channel, idempotency_key, to_address, subject, body, status, provider, provider_message_id, queued_at, sent_at)
values ('c8a70000-0000-4000-8000-0000000000a1', tests.tenant('a'), 'c0000000-0000-4000-8000-00000000c0a1', 'email', 'conv-test-1', 'lea@lumiere.fr',
        'Votre bureau à Neuilly', 'Bonjour Léa', 'sent', 'brevo', '<m1@brevo>', '2027-03-30 09:00 Europe/Paris', now() - interval '1 hour');

select is((private.record_inbound_message(tests.tenant('a'), 'c0000000-0000-4000-8000-00000000c0a1', 'email', 'brevo', '<r1@mail>',
          'c8a70000-0000-4000-8000-0000000000a1', 'RE: Votre bureau à Neuilly', 'Oui, volontiers', '<p>Oui, volontiers</p>', 'lea@lumiere.fr') ->> 'duplicate')::boolean,
          false, 'an inbound reply is recorded');
select is((private.record_inbound_message(tests.tenant('a'), 'c0000000-0000-4000-8000-00000000c0a1', 'email', 'brevo', '<r1@mail>',
          'c8a70000-0000-4000-8000-0000000000a1', 'RE: Votre bureau à Neuilly', 'Oui, volontiers', null, 'lea@lumiere.fr') ->> 'duplicate')::boolean,
          true, 'the same provider message again is a duplicate');
select id as cv from conversations where contact_id = 'c0000000-0000-4000-8000-00000000c0a1' \gset
select is((select array_agg(direction::text order by created_at) from conversation_messages where conversation_id = :'cv'), array['out', 'in'],
          'the thread holds the answered e-mail, then the answer, once');
select is((select (status::text, unread_count, subject, last_direction::text)::text from conversations where id = :'cv'),
          '(open,1,"Votre bureau à Neuilly",in)', 'the thread is open, unread, subject without RE:, last message inbound');
select is((select count(*)::int from message_events where provider_event_id = 'reply:<r1@mail>' and type = 'replied'), 1, 'one replied event');

-- The gate of a reply ignores the 48 h cap (an answer is not a new touch), the sequence gate does not.
select is((select reason from private.can_send('c0000000-0000-4000-8000-00000000c0a1', 'email', '2027-03-30 10:00 Europe/Paris')), 'frequency_cap', 'a new touch an hour later would wait for the cap');

select tests.authenticate_as(tests.uid('a_agent'));
select send_conversation_reply(:'cv', 'Parfait, je vous appelle demain à 10 h.', null, 'client-key-0001') as m1 \gset
select tests.clear_authentication();
select is((select (channel::text, status::text, subject, to_address, conversation_id = :'cv')::text from message_sends where idempotency_key = 'reply:' || :'cv' || ':client-key-0001'),
          '(email,queued,"Re: Votre bureau à Neuilly",lea@lumiere.fr,t)', 'the reply is a queued ledger row of the thread, subject "Re: …"');
select is((select count(*)::int from pgmq.q_email where message ->> 'sendId' = (select id::text from message_sends where idempotency_key = 'reply:' || :'cv' || ':client-key-0001')),
          1, '… with its queue message, in the same transaction');
select ok((select allowed from private.send_gate((select id from message_sends where idempotency_key = 'reply:' || :'cv' || ':client-key-0001'), '2027-03-30 10:00 Europe/Paris')),
          'the worker''s gate lets the reply through despite the cap');
select is((select (direction::text, author_id = tests.uid('a_agent'), body_html)::text from conversation_messages where send_id = (select id from message_sends where idempotency_key = 'reply:' || :'cv' || ':client-key-0001')),
          '(out,t,"<p>Parfait, je vous appelle demain à 10 h.</p>")', 'the thread gets the outbound message with its author');
select is((select unread_count from conversations where id = :'cv'), 0, 'replying marks the thread read');
select tests.authenticate_as(tests.uid('a_agent'));
select is((select (send_conversation_reply(:'cv', 'Parfait, je vous appelle demain à 10 h.', null, 'client-key-0001')).id), (:'m1'::conversation_messages).id,
          'a retried call with the same client key returns the first message');
select tests.clear_authentication();
select is((select count(*)::int from message_sends where conversation_id = :'cv'), 1, '… and sends nothing more');

-- Rights.
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format($$select send_conversation_reply(%L, 'x')$$, :'cv')), '42501', 'an assistant cannot reply (agent and above)');
select is(tests.rows_affected(format($$update conversations set status = 'handled', assigned_user_id = %L where id = %L$$, tests.uid('a_agent'), :'cv')), 1::bigint,
          'a member may set status and assignee');
select is(tests.error_of(format($$update conversations set contact_id = 'c0000000-0000-4000-8000-0000000000a2' where id = %L$$, :'cv')), '42501',
          'but not move the thread to another contact');
select is(tests.error_of(format($$delete from conversation_messages where conversation_id = %L$$, :'cv')), '42501', 'messages cannot be deleted through the API');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format($$select send_conversation_reply(%L, 'x')$$, :'cv')), '42501', 'another tenant cannot reply in A''s thread');
select is(tests.error_of(format($$select mark_conversation_read(%L)$$, :'cv')), '42501', '… nor mark it read');

-- Consent still rules a reply; WhatsApp needs the 24 h window.
select tests.clear_authentication();
select private.suppress_contact(tests.tenant('a'), 'c0000000-0000-4000-8000-00000000c0a1', 'stop', 'test');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_detail(format($$select send_conversation_reply(%L, 'Encore moi')$$, :'cv')), '{"reason": "suppressed"}', 'a suppressed contact cannot be written to, even in a thread');
select tests.clear_authentication();
insert into conversations (tenant_id, contact_id, channel) values (tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a2', 'whatsapp') returning id as wa \gset
update contacts set whatsapp_consent = 'opt_in' where id = 'c0000000-0000-4000-8000-0000000000a2';
insert into consent_evidence (tenant_id, contact_id, channel, status, text_shown, source) values (tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a2', 'whatsapp', 'opt_in', 'Oui WhatsApp', 'test');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_detail(format($$select send_conversation_reply(%L, 'Bonjour')$$, :'wa')), '{"reason": "whatsapp_window_closed"}', 'WhatsApp free text outside the 24 h window is refused');
select tests.clear_authentication();
insert into conversation_messages (tenant_id, conversation_id, direction, channel, body_text, provider, provider_message_id)
values (tests.tenant('a'), :'wa', 'in', 'whatsapp', 'Bonjour ?', 'twilio', 'SMwa1');
select tests.authenticate_as(tests.uid('a_agent'));
select is((select direction::text from send_conversation_reply(:'wa', 'Bonjour, oui !')), 'out', '… and allowed within 24 h of the contact''s message');
select tests.clear_authentication();

select * from finish();
rollback;
