-- Import RPCs: batch validation and atomicity, idempotent replays, deduplication
-- (against the tenant and inside the file), policies, flags that never go down,
-- undo, possible duplicates, merge with history, bulk actions, audited export.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(54);

-- A contact of A that must keep its flags through every import.
insert into contacts (id, tenant_id, kind, first_name, last_name, email, do_not_contact, email_consent, job_title) values
  ('c0000000-0000-4000-8000-0000000000f1', tests.tenant('a'), 'person', 'Fanny', 'Fleury', 'fanny.fleury@example.fr', true, 'opt_out', null);

select tests.authenticate_as(tests.uid('a_agent'));
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated;
insert into ids select 'imp1', import_start(tests.tenant('a'), 'clients.csv', 1234, 'csv', 'windows-1252', ';', '{"headers": ["Prénom", "Nom", "E-mail", "Téléphone"]}', 'skip', 7);

-- Batch 0: a new contact, a DB-side invalid e-mail, a phone already in the tenant,
-- the same e-mail twice in the file, a row the browser rejected, a SIRET with a bad checksum,
-- a name-only row.
select is(import_apply_batch((select id from ids where name = 'imp1'), 0, $j$[
  {"n": 1, "raw": ["Jean", "Dupont", "jean.dupont@example.fr", ""], "first_name": "Jean", "last_name": "Dupont", "email": "Jean.Dupont@Example.fr"},
  {"n": 2, "raw": ["Paul", "Martin", "paul@@x", ""], "first_name": "Paul", "last_name": "Martin", "email": "paul@@x"},
  {"n": 3, "raw": ["Anne", "Aubert", "", "06 12 34 56 01"], "first_name": "Anne", "last_name": "Aubert", "phone": "+33612345601"},
  {"n": 4, "raw": ["Jean", "Dupont", "jean.dupont@example.fr", ""], "first_name": "Jean", "last_name": "Dupont", "email": "jean.dupont@example.fr"},
  {"n": 5, "raw": ["=cmd|' /C calc'!A0", "", "", ""], "error_field": "first_name", "error_reason": "formula"},
  {"n": 6, "raw": ["", "", "", ""], "kind": "company", "company_name": "Arche", "siret": "73282932000075"},
  {"n": 7, "raw": ["Léa", "Petit", "", ""], "first_name": "Léa", "last_name": "Petit", "city": "Neuilly-sur-Seine"}
]$j$)::jsonb - 'replayed',
  '{"rows": 7, "created": 2, "updated": 0, "unchanged": 0, "duplicates": 2, "rejected": 3}'::jsonb,
  'batch 0: 2 created, 2 duplicates (tenant phone, in-file e-mail), 3 rejected');
select is((select count(*) from contacts where tenant_id = tests.tenant('a') and email = 'jean.dupont@example.fr'), 1::bigint,
  'the e-mail is stored normalised, once');
select is((select reason || '/' || field from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 2),
  'invalid_email/email', 'a malformed e-mail is rejected by the database with field and reason');
select is((select raw from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 2),
  '["Paul", "Martin", "paul@@x", ""]'::jsonb, 'a rejected row keeps its original values');
select is((select reason from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 6),
  'invalid_siret', 'a SIRET failing the Luhn check is rejected');
select is((select reason from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 5),
  'formula', 'the browser''s verdict is kept');
select is((select status::text || '/' || field from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 3),
  'duplicate/phone', 'a phone already in the tenant is a duplicate (skip policy)');
select is((select contact_id from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 3),
  'c0000000-0000-4000-8000-0000000000a1'::uuid, 'the duplicate points at the existing contact');
select is((select status::text from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 4),
  'duplicate_in_file', 'the second occurrence in the file is an in-file duplicate');
select is((select contact_id from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 4),
  (select contact_id from contact_import_rows where import_id = (select id from ids where name = 'imp1') and row_number = 1),
  'the in-file duplicate points at the contact its first occurrence created');

-- Replay: same answer, nothing written.
select is((select count(*) from contacts where tenant_id = tests.tenant('a')), 6::bigint, 'A has 6 contacts after batch 0');
select is((import_apply_batch((select id from ids where name = 'imp1'), 0, '[{"n": 1, "first_name": "Autre"}]') ->> 'replayed'), 'true',
  'replaying a batch answers with the first call''s counts');
select is((select count(*) from contacts where tenant_id = tests.tenant('a')), 6::bigint, 'a replayed batch creates nothing');
select is((select count(*) from contact_import_rows where import_id = (select id from ids where name = 'imp1')), 7::bigint, 'nor stages anything');
select is((select created_count || '/' || duplicate_count || '/' || rejected_count from contact_imports where id = (select id from ids where name = 'imp1')),
  '2/2/3', 'the import counters add up once');

-- A batch that breaks mid-way writes nothing (atomic).
select is(tests.error_of(format($$select import_apply_batch(%L, 1, '[{"n": 8, "first_name": "A"}, {"n": 8, "first_name": "B"}]')$$, (select id from ids where name = 'imp1'))),
  '22023', 'a batch with a repeated row number is refused');
select is((select count(*) from contact_import_batches where import_id = (select id from ids where name = 'imp1')), 1::bigint, 'and leaves no batch behind');

-- Finish: report, event, notification.
select is((select status::text from import_finish((select id from ids where name = 'imp1'))), 'completed', 'import_finish completes the import');
select is((select status::text from import_finish((select id from ids where name = 'imp1'))), 'completed', 'finishing twice changes nothing');
select is((select count(*) from notifications where kind = 'import.finished' and user_id = tests.uid('a_agent')), 1::bigint,
  'one "import finished" notification for the importer');
select is((select count(*) from events where type = 'prospect.imported' and subject_id = (select id from ids where name = 'imp1')), 1::bigint,
  'a prospect.imported event');
select is(tests.error_of(format($$select import_apply_batch(%L, 5, '[{"n": 20, "first_name": "Z"}]')$$, (select id from ids where name = 'imp1'))),
  '22023', 'a finished import takes no more batches');

-- Re-import of the same rows: nothing new.
insert into ids select 'imp2', import_start(tests.tenant('a'), 'clients.csv', 1234, 'csv', null, ';', '{}', 'skip', 3);
select is(import_apply_batch((select id from ids where name = 'imp2'), 0, $j$[
  {"n": 1, "first_name": "Jean", "last_name": "Dupont", "email": "jean.dupont@example.fr"},
  {"n": 3, "first_name": "Anne", "last_name": "Aubert", "phone": "+33612345601"},
  {"n": 7, "first_name": "Léa", "last_name": "Petit", "city": "Neuilly-sur-Seine"}
]$j$) ->> 'created', '0', 're-importing the same rows creates nothing (name + city recognises the row without keys)');
select is((select count(*) from contacts where tenant_id = tests.tenant('a') and deleted_at is null), 6::bigint, 'still 6 contacts');

-- fill_empty: fills job_title, never lowers a flag.
insert into ids select 'imp3', import_start(tests.tenant('a'), 'maj.csv', 10, 'csv', null, ';', '{}', 'fill_empty', 1);
select is(import_apply_batch((select id from ids where name = 'imp3'), 0, $j$[
  {"n": 1, "first_name": "F", "last_name": "Fleury", "email": "fanny.fleury@example.fr", "job_title": "Notaire", "do_not_contact": false, "tags": ["salon"]}
]$j$) ->> 'updated', '1', 'fill_empty updates the matching contact');
select is((select first_name || '/' || job_title || '/' || do_not_contact::text || '/' || email_consent::text || '/' || array_to_string(tags, ',')
  from contacts where id = 'c0000000-0000-4000-8000-0000000000f1'),
  'Fanny/Notaire/true/opt_out/salon', 'fill_empty keeps the first name, fills the job, adds the tag, keeps do-not-contact and the opt-out');
select is((select previous from contact_import_rows where import_id = (select id from ids where name = 'imp3') and row_number = 1),
  '{"job_title": null, "tags": []}'::jsonb, 'the staging keeps exactly the previous values of what changed');

-- overwrite: replaces the name; a second identical overwrite is "unchanged".
insert into ids select 'imp4', import_start(tests.tenant('a'), 'ecrase.csv', 10, 'csv', null, ';', '{}', 'overwrite', 1);
select is(import_apply_batch((select id from ids where name = 'imp4'), 0, $j$[
  {"n": 1, "first_name": "Françoise", "email": "fanny.fleury@example.fr", "email_opt_out": false}
]$j$) ->> 'updated', '1', 'overwrite updates');
select is((select first_name || '/' || email_consent::text from contacts where id = 'c0000000-0000-4000-8000-0000000000f1'),
  'Françoise/opt_out', 'overwrite replaces the name but the opt-out stays');
select is(import_apply_batch((select id from ids where name = 'imp4'), 1, $j$[
  {"n": 2, "first_name": "Françoise", "email": "fanny.fleury@example.fr"}
]$j$) ->> 'unchanged', '1', 'the same values again: unchanged, nothing written');
select import_finish((select id from ids where name = 'imp4'));

-- Opt-out and do-not-contact from a file go up.
insert into ids select 'imp5', import_start(tests.tenant('a'), 'stop.csv', 10, 'csv', null, ';', '{}', 'skip', 1);
select import_apply_batch((select id from ids where name = 'imp5'), 0, $j$[
  {"n": 1, "first_name": "Hugo", "email": "hugo@example.fr", "email_opt_out": true, "do_not_contact": true}
]$j$);
select is((select email_consent::text || '/' || do_not_contact from contacts where email = 'hugo@example.fr'), 'opt_out/true',
  'a new contact takes the opt-out and do-not-contact of the file');
select import_finish((select id from ids where name = 'imp5'));

-- Undo of the overwrite restores the name, keeps the opt-out; undo of imp1 soft-deletes what it created.
select is(import_undo((select id from ids where name = 'imp4')) ->> 'restored', '1', 'undo restores the overwritten contact');
select is((select first_name from contacts where id = 'c0000000-0000-4000-8000-0000000000f1'), 'Fanny', 'its previous first name is back');
select is((select do_not_contact and email_consent = 'opt_out' from contacts where id = 'c0000000-0000-4000-8000-0000000000f1'), true,
  'undo never clears do-not-contact or an opt-out');
select is(import_undo((select id from ids where name = 'imp1')) ->> 'deleted', '2', 'undo soft-deletes the 2 contacts the import created');
select is((select count(*) from contacts where email = 'jean.dupont@example.fr' and deleted_at is null), 0::bigint, 'Jean Dupont is gone from the list');
select is((select count(*) from contacts where email = 'jean.dupont@example.fr'), 1::bigint, 'but kept (soft-deleted) for history');
select is(import_undo((select id from ids where name = 'imp1')) ->> 'already_undone', 'true', 'a second undo does nothing');

-- Possible duplicates (pg_trgm): "Anne Auber" looks like "Anne Aubert".
insert into ids select 'imp6', import_start(tests.tenant('a'), 'fuzzy.csv', 10, 'csv', null, ';', '{}', 'skip', 1);
select import_apply_batch((select id from ids where name = 'imp6'), 0, $j$[
  {"n": 1, "first_name": "Anne", "last_name": "Auber", "email": "a.auber@example.fr"}
]$j$);
select is((select candidate_id from import_possible_duplicates((select id from ids where name = 'imp6'))),
  'c0000000-0000-4000-8000-0000000000a1'::uuid, 'a created contact close to an existing one is listed as a possible duplicate');

-- Tenant B cannot touch A's import.
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format($$select import_apply_batch(%L, 9, '[{"n": 1, "first_name": "X"}]')$$, (select id from ids where name = 'imp6'))),
  '42501', 'a member of B cannot add rows to an import of A');
select is(tests.error_of(format($$select import_undo(%L)$$, (select id from ids where name = 'imp5'))), '42501', 'nor undo it');

-- Merge: activities and deals follow, history kept, flags the safe way.
select tests.authenticate_as(tests.uid('a_agent'));
select is(merge_contacts('c0000000-0000-4000-8000-0000000000a1',
  (select contact_id from contact_import_rows where import_id = (select id from ids where name = 'imp6') and row_number = 1)),
  'c0000000-0000-4000-8000-0000000000a1'::uuid, 'merge_contacts keeps the first contact');
select is((select count(*) from contact_merges where kept_contact_id = 'c0000000-0000-4000-8000-0000000000a1' and merged_snapshot ->> 'last_name' = 'Auber'),
  1::bigint, 'the merge is in the history with a snapshot of the merged contact');
select is((select deleted_at is not null from contacts where email = 'a.auber@example.fr'), true, 'the merged contact is soft-deleted');
insert into activities (tenant_id, kind, contact_id, subject) values (tests.tenant('a'), 'note', 'c0000000-0000-4000-8000-0000000000f1', 'Note Fanny');
select merge_contacts('c0000000-0000-4000-8000-0000000000a2', 'c0000000-0000-4000-8000-0000000000f1');
select is((select count(*) from activities where contact_id = 'c0000000-0000-4000-8000-0000000000a2' and subject = 'Note Fanny'), 1::bigint,
  'the merged contact''s activities move to the kept one');
select is((select do_not_contact::text || '/' || email_consent from contacts where id = 'c0000000-0000-4000-8000-0000000000a2'), 'true/opt_out',
  'the kept contact inherits do-not-contact and the opt-out');

-- The policy preview: which rows match which contact, with its current values.
select is((select contact_id::text || '/' || matched_on || '/' || (current ->> 'first_name') from import_match_preview(tests.tenant('a'), $j$[
  {"n": 1, "email": "ANNE.AUBERT@example.fr"}, {"n": 2, "phone": "+33 6 12 34 56 02"}, {"n": 3, "email": "nobody@example.fr"}]$j$) where n = 1),
  'c0000000-0000-4000-8000-0000000000a1/email/Anne', 'the preview matches a row on the normalised e-mail');
select is((select count(*) from import_match_preview(tests.tenant('a'), '[{"n": 1, "email": "anne.aubert@example.fr"}, {"n": 3, "email": "nobody@example.fr"}]')),
  1::bigint, 'rows without a match are not listed');

-- Bulk actions and export.
select is(contacts_bulk_action(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a2']::uuid[], 'tag', 'salon 2026'),
  2, 'bulk tag');
select is(contacts_bulk_action(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1']::uuid[], 'delete'), 1, 'bulk delete');
select is(contacts_bulk_action(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1']::uuid[], 'restore'), 1, 'undo of the delete');
select is(jsonb_array_length(export_contacts(tests.tenant('a'), '{"tags": ["salon 2026"]}')), 2, 'export of a filtered list');
select tests.clear_authentication();
select is((select count(*) from audit_log where action = 'export' and actor_id = tests.uid('a_agent')), 2::bigint, 'one audit row per exported contact');
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of(format($$select export_contacts(%L)$$, tests.tenant('a'))), '42501', 'an assistant cannot export');

select * from finish();
rollback;
