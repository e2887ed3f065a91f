-- Role rules inside one tenant (owner > admin > agent > assistant), the tenancy
-- RPCs, and the invariants triggers keep (errors, history, events, audit).
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(66);

-- ---------------------------------------------------------------- assistant
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.visible_rows('public.contacts'), 3::bigint, 'assistant reads every contact of the tenant');
select lives_ok($$insert into contacts (tenant_id, first_name, last_name, email) values ('0a000000-0000-4000-8000-00000000000a', 'Zoé', 'Zola', 'zoe@example.fr')$$,
  'assistant creates a contact');
select is(tests.rows_affected($$update contacts set city = 'Neuilly-sur-Seine' where email = 'zoe@example.fr'$$), 1::bigint, 'assistant updates a contact');
select is(tests.rows_affected($$update contacts set deleted_at = now() where email = 'zoe@example.fr'$$), 1::bigint, 'assistant soft-deletes a contact');
select is(tests.rows_affected($$delete from contacts$$), 0::bigint, 'assistant cannot hard-delete contacts');
select is(tests.rows_affected($$delete from activities$$), 0::bigint, 'assistant cannot delete activities');
select is(tests.rows_affected($$delete from deals$$), 0::bigint, 'assistant cannot delete deals');
select is(tests.rows_affected($$delete from prospect_base_members$$), 0::bigint, 'assistant cannot remove base members');
select is(tests.rows_affected($$update deals set title = 'x'$$), 0::bigint, 'assistant cannot update deals');
select is(tests.visible_rows('public.audit_log'), 0::bigint, 'assistant does not read the audit trail');
select is(tests.visible_rows('public.tenant_invitations'), 0::bigint, 'assistant does not see invitations');
select is(tests.rows_affected($$update tenants set legal_name = 'X'$$), 0::bigint, 'assistant cannot change tenant settings');

-- ---------------------------------------------------------------- agent
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.visible_rows('public.deals'), 2::bigint, 'agent sees every deal of the tenant');
select is(tests.rows_affected($$update deals set title = 'Appartement Neuilly (4p)' where id = 'd0000000-0000-4000-8000-0000000000a1'$$), 1::bigint,
  'agent updates their own deal');
select is(tests.rows_affected($$update deals set title = 'Volé' where id = 'd0000000-0000-4000-8000-0000000000a2'$$), 0::bigint,
  'agent cannot update a colleague''s deal');
select is(tests.error_of(format($$update deals set owner_id = %L where id = 'd0000000-0000-4000-8000-0000000000a1'$$, tests.uid('a_agent2'))), '42501',
  'agent cannot hand their deal to a colleague (that is an admin''s call)');
select is(tests.rows_affected($$delete from deals where id = 'd0000000-0000-4000-8000-0000000000a2'$$), 0::bigint, 'agent cannot delete a colleague''s deal');
select is(tests.rows_affected($$update activities set subject = 'x' where created_by <> auth.uid()$$), 0::bigint, 'agent cannot edit a colleague''s activity');
select is(tests.rows_affected($$update tenant_members set role = 'admin' where user_id = auth.uid()$$), 0::bigint, 'agent cannot promote themselves');
select is(tests.error_of($$insert into pipelines (tenant_id, name) values ('0a000000-0000-4000-8000-00000000000a', 'Locations')$$), '42501',
  'agent cannot create pipelines');
select is(tests.visible_rows('public.audit_log'), 0::bigint, 'agent does not read the audit trail');

-- ---------------------------------------------------------------- admin
select tests.authenticate_as(tests.uid('a_admin'));
select is(tests.rows_affected($$update deals set title = 'Studio Levallois (rénové)' where id = 'd0000000-0000-4000-8000-0000000000a2'$$), 1::bigint,
  'admin updates any deal');
select is(tests.rows_affected($$update tenants set primary_color = '#1d3557', city = 'Paris'$$), 1::bigint, 'admin changes tenant settings');
select is(tests.error_of($$update tenants set plan = 'enterprise'$$), '42501', 'admin cannot change the plan (billing does)');
select is(tests.rows_affected(format($$update tenant_members set role = 'assistant' where user_id = %L$$, tests.uid('a_agent2'))), 1::bigint,
  'admin changes a member''s role');
select is(tests.error_of(format($$update tenant_members set role = 'owner' where user_id = %L$$, tests.uid('a_agent2'))), '42501',
  'admin cannot make someone owner');
select is(tests.rows_affected(format($$update tenant_members set role = 'agent' where user_id = %L$$, tests.uid('a_owner'))), 0::bigint,
  'admin cannot demote the owner');
select is(tests.rows_affected(format($$delete from tenant_members where user_id = %L$$, tests.uid('a_owner'))), 0::bigint,
  'admin cannot remove the owner');
select is(tests.rows_affected($$delete from tenants$$), 0::bigint, 'admin cannot delete the tenant');
select is(tests.error_of(format($$select transfer_ownership(%L, %L)$$, tests.tenant('a'), tests.uid('a_admin'))), '42501', 'admin cannot take ownership');
select cmp_ok(tests.visible_rows('public.audit_log'), '>', 0::bigint, 'admin reads the audit trail');
select lives_ok($$insert into pipelines (tenant_id, name) values ('0a000000-0000-4000-8000-00000000000a', 'Locations')$$, 'admin creates a pipeline');

-- invitations
select tests.authenticate_as(tests.uid('a_admin'));
create temp table inv on commit drop as select * from create_invitation(tests.tenant('a'), '  Stranger@X.test ', 'agent');
grant select on inv to authenticated;
select is((select email from tenant_invitations where id = (select invitation_id from inv)), 'stranger@x.test', 'invitation e-mails are normalised');
select is(tests.error_of($$select * from create_invitation('0a000000-0000-4000-8000-00000000000a', 'boss@x.test', 'owner')$$), '22023', 'nobody is invited as owner');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of($$select * from create_invitation('0a000000-0000-4000-8000-00000000000a', 'friend@x.test', 'agent')$$), '42501', 'agents cannot invite');
select tests.authenticate_as(tests.uid('stranger'));
select is((select role from accept_invitation((select token from inv))), 'agent'::tenant_role, 'the invitee accepts and becomes agent');
select is(tests.visible_rows('public.contacts'), 4::bigint, 'the new member sees the tenant''s contacts (soft-deleted ones included)');
select is(tests.error_of(format($$select accept_invitation(%L)$$, (select token from inv))), '22023', 'an invitation is single use');
select is(tests.error_of($$select accept_invitation('no-such-token')$$), 'P0002', 'an unknown token is not found');
select tests.clear_authentication();
update tenant_invitations set expires_at = now() - interval '1 minute' where email = 'new.a@a.test';
select tests.create_user('new.a@a.test');
select tests.authenticate_as(tests.uid('new.a'));
select is(tests.error_of($$select accept_invitation('token-a')$$), '22023', 'an expired invitation is refused');

-- ---------------------------------------------------------------- owner
select tests.authenticate_as(tests.uid('a_owner'));
select is(tests.error_of(format($$select leave_tenant(%L)$$, tests.tenant('a'))), '42501', 'the owner cannot leave without transferring');
select lives_ok(format($$select transfer_ownership(%L, %L)$$, tests.tenant('a'), tests.uid('a_admin')), 'the owner transfers ownership');
select is((select role from tenant_members where user_id = tests.uid('a_owner') and tenant_id = tests.tenant('a')), 'admin'::tenant_role, 'the former owner is admin');
select lives_ok(format($$select leave_tenant(%L)$$, tests.tenant('a')), 'the former owner may now leave');
select is(tests.visible_rows('public.contacts'), 0::bigint, 'after leaving, nothing of the tenant is visible');
select tests.authenticate_as(tests.uid('a_admin'));
select is((select role from tenant_members where user_id = auth.uid() and tenant_id = tests.tenant('a')), 'owner'::tenant_role, 'the new owner is owner');

-- create_tenant
select tests.authenticate_as(tests.uid('stranger'));
select is((select slug from create_tenant('  Cabinet-Neuf ', 'Cabinet Neuf SARL', '73282932000074')), 'cabinet-neuf', 'create_tenant creates the agency');
select is((select role from tenant_members where user_id = auth.uid() and tenant_id = (select id from tenants where slug = 'cabinet-neuf')), 'owner'::tenant_role,
  'the creator is its owner');
select is(tests.error_of($$select create_tenant('cabinet-neuf', 'Again')$$), '23505', 'a slug is unique');
select is(tests.error_of($$select create_tenant('www', 'Reserved')$$), '23514', 'reserved slugs are refused');
select is(tests.error_of($$select create_tenant('bad-siret', 'Bad', '73282932000075')$$), '23514', 'an invalid SIRET is refused');

-- ---------------------------------------------------------------- invariants
select tests.authenticate_as(tests.uid('a_agent'));
select throws_ok($$insert into contacts (tenant_id, first_name, email) values ('0a000000-0000-4000-8000-00000000000a', 'Anne bis', ' Anne.Aubert@Example.fr ')$$,
  '23505', 'duplicate_contact', 'a duplicate e-mail (after normalisation) is refused with duplicate_contact');
select is((select (x.detail::jsonb ->> 'existing_contact_id') from (select 1) s,
           lateral (select tests.error_detail($$insert into contacts (tenant_id, first_name, phone) values ('0a000000-0000-4000-8000-00000000000a', 'Dup', '+33 6 12 34 56 01')$$) as detail) x),
  'c0000000-0000-4000-8000-0000000000a1', 'the duplicate error names the existing contact (phone normalised)');
select throws_ok($$insert into contacts (tenant_id, kind, company_name, siret) values ('0a000000-0000-4000-8000-00000000000a', 'company', 'Faux', '12345678901234')$$,
  '23514', 'invalid_siret', 'an invalid SIRET is refused with invalid_siret');
select throws_ok($$insert into contacts (tenant_id, first_name, phone) values ('0a000000-0000-4000-8000-00000000000a', 'Tel', '0612')$$,
  '23514', 'invalid_phone', 'a phone that is not E.164 is refused');
select lives_ok($$update contacts set deleted_at = now() where id = 'c0000000-0000-4000-8000-0000000000a1'$$, 'soft delete');
select lives_ok($$insert into contacts (tenant_id, first_name, email) values ('0a000000-0000-4000-8000-00000000000a', 'Anne', 'anne.aubert@example.fr')$$,
  'a soft-deleted contact no longer blocks its e-mail');
select is((select contacts_count from tenant_usage where tenant_id = tests.tenant('a')),
          (select count(*) from contacts where tenant_id = tests.tenant('a') and deleted_at is null), 'tenant_usage counts live contacts');

-- deal moves: history, events, lost reason
select is(tests.error_of($$update deals set stage_id = (select id from pipeline_stages where name = 'Perdu' and tenant_id = '0a000000-0000-4000-8000-00000000000a')
                          where id = 'd0000000-0000-4000-8000-0000000000a1'$$), '23514', 'a lost deal needs a reason');
select lives_ok($$update deals set stage_id = (select id from pipeline_stages where name = 'Gagné' and tenant_id = '0a000000-0000-4000-8000-00000000000a')
                 where id = 'd0000000-0000-4000-8000-0000000000a1'$$, 'the agent wins their deal');
select is((select count(*) from deal_stage_history where deal_id = 'd0000000-0000-4000-8000-0000000000a1'), 2::bigint, 'the move is in the stage history');
select is((select count(*) from events where type = 'deal.won' and subject_id = 'd0000000-0000-4000-8000-0000000000a1'), 1::bigint, 'deal.won is emitted');
select is((select probability from deals where id = 'd0000000-0000-4000-8000-0000000000a1'), 100::smallint, 'a won deal takes the stage''s probability');

-- audit trail is append-only, even for the superuser
select tests.clear_authentication();
select cmp_ok((select count(*) from audit_log where table_name = 'contacts' and action = 'update'
                 and record_id = 'c0000000-0000-4000-8000-0000000000a1' and new_values ? 'deleted_at'), '>=', 1::bigint, 'the soft delete is audited with the new value');
select throws_ok($$update audit_log set actor_id = null$$, '42501', 'append_only', 'audit rows cannot be changed, even by the superuser');
select throws_ok($$delete from audit_log$$, '42501', 'append_only', 'audit rows cannot be deleted, even by the superuser');

select * from finish();
rollback;
