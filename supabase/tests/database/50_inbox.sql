-- The inbox's read RPCs (20261207080100_inbox_views.sql): the thread list with
-- its filters (status, channel, assigned to me, search) and keyset pages, the
-- counts per status, the contact context beside a thread; the member updates
-- the inbox makes (handled, assignee); isolation between agencies and anon.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(20);

select id as cv from public.conversations where tenant_id = tests.tenant('a') limit 1 \gset

select tests.authenticate_as(tests.uid('a_assistant'));
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'))), 1, 'a member sees the agency''s open thread');
select is((select display_name from public.inbox_threads(tests.tenant('a'))), 'Anne Aubert', '… with the contact''s name');
select is((select array[last_direction::text, unread_count::text] from public.inbox_threads(tests.tenant('a'))), array['in', '1'],
          '… its last message is the contact''s answer, unread');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), 'open', 'sms')), 0, 'the channel filter keeps e-mail threads out of SMS');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null, null, false, 'rappelez')), 1, 'search finds words of the last message');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null, null, false, 'AUBERT')), 1, 'search finds the contact''s name, any case');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null, null, false, 'introuvable')), 0, 'a search without match is empty');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), 'open', null, false, null, 30, now() - interval '100 years', gen_random_uuid())), 0,
          'keyset: nothing before the oldest cursor');

-- Mark handled, assign
update public.conversations set status = 'handled' where id = :'cv';
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'))), 0, 'a handled thread leaves the open list');
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), 'handled')), 1, '… and shows under handled');
select is((select threads::int from public.inbox_counts(tests.tenant('a')) where status = 'handled'), 1, 'counts per status');

select tests.authenticate_as(tests.uid('a_agent'));
update public.conversations set assigned_user_id = tests.uid('a_agent') where id = :'cv';
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null, null, true)), 1, 'assigned to me: the agent''s thread');
select is((select mine::int from public.inbox_counts(tests.tenant('a')) where status = 'handled'), 1, 'counts the caller''s threads');
select tests.authenticate_as(tests.uid('a_agent2'));
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null, null, true)), 0, '… not another agent''s');

-- Context
select is((select (x -> 'contact' ->> 'display_name') from public.inbox_contact_context(:'cv') x), 'Anne Aubert', 'the context names the contact');
select ok((select x -> 'sequences' @> '[{"name": "Relance vendeurs"}]' from public.inbox_contact_context(:'cv') x), 'the context lists the contact''s sequences');
select ok((select x -> 'deals' @> '[{"title": "Appartement Neuilly"}]' from public.inbox_contact_context(:'cv') x), 'the context lists the contact''s deals with their stage');

-- Isolation
select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*)::int from public.inbox_threads(tests.tenant('a'), null)), 0, 'another agency sees none of A''s threads');
select is(public.inbox_contact_context(:'cv'), null, '… nor the context of A''s thread');
select tests.authenticate_as_anon();
select is(tests.error_of(format('select * from public.inbox_threads(%L)', tests.tenant('a'))), '42501', 'anon cannot call the inbox');

select * from finish();
rollback;
