-- Import demo data for Agence Étoile Immobilier: a mapping preset and one
-- completed import of last month (30 contacts created from a Hektor export,
-- 2 rows rejected with their original values), so the history, the report, the
-- CSV of rejects and the contact timeline have something to show.
insert into public.import_mapping_presets (id, tenant_id, name, mapping, created_by) values
  ('1e000000-0000-4000-8000-000000000001', 'e7011e00-0000-4000-8000-000000000001', 'Export Hektor',
   '{"civilite": "custom:civilite", "prenom": "first_name", "nom": "last_name", "e mail": "email", "telephone": "phone",
     "societe": "company_name", "code postal": "postal_code", "ville": "city", "budget": "custom:budget"}',
   'a1e7d0e0-0000-4000-8000-000000000001')
on conflict do nothing;

insert into public.contact_imports (id, tenant_id, file_name, file_size, file_format, encoding, delimiter, mapping, policy, status,
                                    total_rows, processed_rows, created_count, updated_count, unchanged_count, duplicate_count, rejected_count,
                                    created_by, created_at, finished_at)
values ('1e000000-0000-4000-8000-0000000000a1', 'e7011e00-0000-4000-8000-000000000001', 'export-hektor-novembre.csv', 4812, 'csv',
        'windows-1252', ';', '{"headers": ["Civilité", "Prénom", "Nom", "E-mail", "Téléphone", "Société", "Code postal", "Ville", "Budget"]}',
        'skip', 'completed', 33, 33, 30, 0, 0, 1, 2, 'a1e7d0e0-0000-4000-8000-000000000001',
        date_trunc('day', now()) - interval '24 days' + interval '10 hours', date_trunc('day', now()) - interval '24 days' + interval '10 hours 1 minute')
on conflict do nothing;

-- The 30 oldest contacts of the agency stand for what that import created.
insert into public.contact_import_rows (tenant_id, import_id, row_number, status, contact_id)
select 'e7011e00-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-0000000000a1', 1 + row_number() over (order by c.created_at, c.id), 'created', c.id
  from (select id, created_at from public.contacts where tenant_id = 'e7011e00-0000-4000-8000-000000000001' and deleted_at is null
         order by created_at, id limit 30) c
on conflict do nothing;
insert into public.contact_import_rows (tenant_id, import_id, row_number, status, contact_id, reason, field, raw) values
  ('e7011e00-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-0000000000a1', 32, 'rejected', null, 'invalid_email', 'email',
   '["M.", "Paul", "Lévêque", "paul.leveque@@free.fr", "06 12 34 56 80", "", "92300", "Levallois-Perret", "350 000"]'),
  ('e7011e00-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-0000000000a1', 33, 'rejected', null, 'invalid_phone', 'phone',
   '["Mme", "Inès", "Rousseau", "ines.rousseau@free.fr", "12 34", "", "92200", "Neuilly-sur-Seine", ""]'),
  ('e7011e00-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-0000000000a1', 34, 'duplicate_in_file', null, null, 'email', null)
on conflict do nothing;
insert into public.contact_import_batches (tenant_id, import_id, batch_no, first_row, row_count, counts) values
  ('e7011e00-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-0000000000a1', 0, 2, 33,
   '{"rows": 33, "created": 30, "updated": 0, "unchanged": 0, "duplicates": 1, "rejected": 2}')
on conflict do nothing;
