-- The stable error codes of docs/security.md ("Stable error codes"): for each, the
-- SQLSTATE, the machine-readable message clients switch on, and the JSON detail
-- where one is documented. A renamed code or a dropped detail field fails here.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();

select plan(30);

-- ---------------------------------------------------------------- contacts (as an agent of A)
select tests.authenticate_as(tests.uid('a_agent'));

select throws_ok($$insert into contacts (tenant_id, first_name, email) values ('0a000000-0000-4000-8000-00000000000a', 'Anne bis', ' ANNE.Aubert@example.fr')$$,
  '23505', 'duplicate_contact', 'duplicate e-mail: 23505 duplicate_contact');
select is(tests.error_detail($$insert into contacts (tenant_id, first_name, email) values ('0a000000-0000-4000-8000-00000000000a', 'Anne bis', ' ANNE.Aubert@example.fr')$$)::jsonb,
  '{"field": "email", "existing_contact_id": "c0000000-0000-4000-8000-0000000000a1"}'::jsonb,
  'duplicate_contact names the field and the existing contact');
select is(tests.error_detail($$insert into contacts (tenant_id, kind, company_name, siret) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Arche bis', '732 829 320 00074')$$)::jsonb,
  '{"field": "siret", "existing_contact_id": "c0000000-0000-4000-8000-0000000000a3"}'::jsonb,
  'a duplicate SIRET (spaces removed) names the existing company');

select throws_ok($$insert into contacts (tenant_id, kind, company_name, siret) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '73282932000075')$$,
  '23514', 'invalid_siret', 'bad SIRET check digit: 23514 invalid_siret');
select is(tests.error_detail($$insert into contacts (tenant_id, kind, company_name, siret) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '73282932000075')$$)::jsonb,
  '{"field": "siret", "reason": "checksum"}'::jsonb, 'invalid_siret says the field and the reason (checksum)');
select is(tests.error_detail($$insert into contacts (tenant_id, kind, company_name, siret) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '7328293200')$$)::jsonb,
  '{"field": "siret", "reason": "format"}'::jsonb, 'invalid_siret says the field and the reason (format)');
select throws_ok($$insert into contacts (tenant_id, kind, company_name, siren) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '732829321')$$,
  '23514', 'invalid_siren', 'bad SIREN check digit: 23514 invalid_siren');
select is(tests.error_detail($$insert into contacts (tenant_id, kind, company_name, siren) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '732829321')$$)::jsonb ->> 'field',
  'siren', 'invalid_siren names its field');
select is(tests.error_detail($$insert into contacts (tenant_id, first_name, phone) values ('0a000000-0000-4000-8000-00000000000a', 'Tel', '06 12')$$)::jsonb ->> 'field',
  'phone', 'invalid_phone names its field');

select throws_ok($$update contacts set created_at = created_at - interval '1 day' where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '42501', 'protected_field', 'changing created_at through the API: 42501 protected_field');
select is(tests.error_detail($$update contacts set created_at = created_at - interval '1 day' where id = 'c0000000-0000-4000-8000-0000000000a1'$$)::jsonb,
  '{"table": "contacts", "field": "created_at"}'::jsonb, 'protected_field names the table and the field');

-- ---------------------------------------------------------------- deals and append-only tables
select throws_ok($$update deals set stage_id = (select id from pipeline_stages where kind = 'lost' and tenant_id = '0a000000-0000-4000-8000-00000000000a' limit 1)
                   where id = 'd0000000-0000-4000-8000-0000000000a1'$$,
  '23514', 'lost_reason_required', 'a lost deal without a reason: 23514 lost_reason_required');
select is(tests.error_detail($$update deals set stage_id = (select id from pipeline_stages where kind = 'lost' and tenant_id = '0a000000-0000-4000-8000-00000000000a' limit 1)
                   where id = 'd0000000-0000-4000-8000-0000000000a1'$$)::jsonb,
  '{"field": "lost_reason"}'::jsonb, 'lost_reason_required names its field');
select tests.clear_authentication();
select throws_ok($$update events set type = 'x'$$, '42501', 'append_only', 'events cannot be changed: 42501 append_only');
select is(tests.error_detail($$delete from events$$)::jsonb, '{"table": "events", "operation": "delete"}'::jsonb,
  'append_only names the table and the operation');

-- ---------------------------------------------------------------- RPCs
select tests.authenticate_as(tests.uid('a_agent'));
select throws_ok($$select * from create_invitation('0a000000-0000-4000-8000-00000000000a', 'friend@x.test', 'agent')$$,
  '42501', 'insufficient_role', 'an agent inviting: 42501 insufficient_role');
select is(tests.error_detail($$select * from create_invitation('0a000000-0000-4000-8000-00000000000a', 'friend@x.test', 'agent')$$)::jsonb,
  '{"tenant_id": "0a000000-0000-4000-8000-00000000000a", "required_role": "admin"}'::jsonb, 'insufficient_role names the tenant and the role required');
select throws_ok($$select * from search_contacts('0a000000-0000-4000-8000-00000000000a', 'a')$$,
  '22023', 'query_too_short', 'a one-letter search: 22023 query_too_short');
select throws_ok($$select record_contact_access('0a000000-0000-4000-8000-00000000000a', array['c0000000-0000-4000-8000-0000000000a1']::uuid[], 'delete')$$,
  '22023', 'invalid_audit_action', 'an unknown audit action: 22023 invalid_audit_action');
select throws_ok($$select create_tenant('etoile-a', 'Étoile', '73282932000075')$$,
  '23514', 'invalid_siret', 'create_tenant with a bad SIRET: 23514 invalid_siret');
select throws_ok(format($$select create_tenant(%L, 'Copie')$$, (select slug from tenants where id = '0a000000-0000-4000-8000-00000000000a')),
  '23505', 'slug_taken', 'create_tenant with a slug in use: 23505 slug_taken');
select throws_ok($$select leave_tenant('0b000000-0000-4000-8000-00000000000b')$$,
  'P0002', 'member_not_found', 'leaving a tenant one is not in: P0002 member_not_found');

select tests.authenticate_as(tests.uid('a_admin'));
select throws_ok($$select * from create_invitation('0a000000-0000-4000-8000-00000000000a', 'boss@x.test', 'owner')$$,
  '22023', 'invalid_role', 'inviting an owner: 22023 invalid_role');

select tests.authenticate_as(tests.uid('a_owner'));
select throws_ok($$select leave_tenant('0a000000-0000-4000-8000-00000000000a')$$,
  '42501', 'owner_cannot_leave', 'the owner leaving: 42501 owner_cannot_leave');
select throws_ok(format($$select transfer_ownership('0a000000-0000-4000-8000-00000000000a', %L)$$, tests.uid('b_owner')),
  'P0002', 'member_not_found', 'ownership to a non-member: P0002 member_not_found');

-- invitations: unknown, for someone else, used, expired
select tests.authenticate_as(tests.uid('b_owner'));
select throws_ok($$select accept_invitation('no-such-token')$$, 'P0002', 'invitation_not_found', 'an unknown token: P0002 invitation_not_found');
select throws_ok($$select accept_invitation('token-a')$$, '42501', 'invitation_email_mismatch', 'an invitation addressed to another e-mail: 42501 invitation_email_mismatch');
select tests.clear_authentication();
update tenant_invitations set accepted_at = now() where token_hash = encode(extensions.digest('token-a', 'sha256'), 'hex');
update tenant_invitations set expires_at = now() - interval '1 day' where token_hash = encode(extensions.digest('token-b', 'sha256'), 'hex');
select tests.authenticate_as(tests.uid('b_owner'));
select throws_ok($$select accept_invitation('token-a')$$, '22023', 'invitation_already_used', 'a used invitation: 22023 invitation_already_used');
select throws_ok($$select accept_invitation('token-b')$$, '22023', 'invitation_expired', 'an expired invitation: 22023 invitation_expired');

-- no user at all behind an authenticated request
do $$ begin
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', '{"role": "authenticated"}', true);
  perform set_config('role', 'authenticated', true);
end $$;
select throws_ok($$select create_tenant('sans-user', 'Sans utilisateur')$$, '42501', 'not_authenticated', 'an RPC without a user: 42501 not_authenticated');
select tests.clear_authentication();

select * from finish();
rollback;
