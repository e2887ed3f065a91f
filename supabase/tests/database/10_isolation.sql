-- Tenant isolation, data-driven: every table of public with a tenant_id column
-- (found in the catalog, so a new table is covered automatically) is checked
-- for a member of tenant B acting on tenant A's rows, for anon and for a user
-- with no tenant; then joins, cross-tenant references, RPCs and views.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();

create or replace function tests.isolation_checks(p_table regclass)
returns setof text
language plpgsql
as $$
declare
  a uuid := tests.tenant('a');
  b uuid := tests.tenant('b');
  tpl jsonb;
  a_before text; a_after text;
  v_sel_a bigint; v_sel_b bigint; v_upd text; v_del text; v_ins text; v_move text;
  v_anon_sel bigint; v_anon_ins text; v_stranger bigint;
  name text := p_table::text;
  has_id boolean;
begin
  execute format('select to_jsonb(t) from %s t where tenant_id = $1 limit 1', p_table) into tpl using b;
  has_id := exists (select 1 from pg_attribute where attrelid = p_table and attname = 'id' and atttypid = 'uuid'::regtype);
  tpl := jsonb_set(tpl, '{tenant_id}', to_jsonb(a));
  if has_id then tpl := jsonb_set(tpl, '{id}', to_jsonb(gen_random_uuid())); end if;
  execute format('select md5(coalesce(string_agg(to_jsonb(t)::text, %L order by to_jsonb(t)::text), %L)) from %s t where tenant_id = $1', ',', '', p_table)
    into a_before using a;

  perform tests.authenticate_as(tests.uid('b_owner'));
  v_sel_a := tests.visible_rows(p_table, format('tenant_id = %L', a));
  v_sel_b := tests.visible_rows(p_table, format('tenant_id = %L', b));
  v_upd := tests.error_of(format('do $x$ begin if (select tests.rows_affected(%L)) > 0 then raise exception using errcode = %L; end if; end $x$',
                                 format('update %s set tenant_id = tenant_id where tenant_id = %L', p_table, a), 'XX001'));
  v_del := tests.error_of(format('do $x$ begin if (select tests.rows_affected(%L)) > 0 then raise exception using errcode = %L; end if; end $x$',
                                 format('delete from %s where tenant_id = %L', p_table, a), 'XX001'));
  v_ins := tests.insert_error(p_table, tpl);
  v_move := tests.error_of(format('update %s set tenant_id = %L where tenant_id = %L', p_table, a, b));
  perform tests.authenticate_as_anon();
  v_anon_sel := tests.visible_rows(p_table);
  v_anon_ins := tests.insert_error(p_table, tpl);
  perform tests.authenticate_as(tests.uid('stranger'));
  v_stranger := tests.visible_rows(p_table);
  perform tests.clear_authentication();

  execute format('select md5(coalesce(string_agg(to_jsonb(t)::text, %L order by to_jsonb(t)::text), %L)) from %s t where tenant_id = $1', ',', '', p_table)
    into a_after using a;

  return next is(v_sel_a, 0::bigint, name || ': a member of B sees none of A''s rows');
  return next cmp_ok(v_sel_b, '>', 0::bigint, name || ': a member of B sees B''s rows (the fixture is not empty)');
  return next ok(v_upd is null or v_upd = '42501', name || ': a member of B updates none of A''s rows (' || coalesce(v_upd, 'filtered') || ')');
  return next ok(v_del is null or v_del = '42501', name || ': a member of B deletes none of A''s rows (' || coalesce(v_del, 'filtered') || ')');
  return next is(v_ins, '42501', name || ': a member of B cannot insert a row into A');
  return next is(v_move, '42501', name || ': a member of B cannot move a row to A by changing tenant_id');
  return next is(a_after, a_before, name || ': A''s rows are unchanged after B''s attempts');
  return next is(v_anon_sel, -1::bigint, name || ': anon has no select privilege');
  return next is(v_anon_ins, '42501', name || ': anon cannot insert');
  return next is(v_stranger, 0::bigint, name || ': a signed-in user of no tenant sees nothing');
end;
$$;
grant execute on function tests.isolation_checks(regclass) to authenticated, anon;

create temp table iso_tables on commit drop as
  select c.oid::regclass as tbl, c.relname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p')
     and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped);

select plan((select count(*)::int * 10 from iso_tables) + 30);

select tests.isolation_checks(tbl) from iso_tables order by relname;

-- ---------------------------------------------------------------- tenants
select tests.authenticate_as(tests.uid('b_owner'));
select is((select count(*) from tenants where id = tests.tenant('a')), 0::bigint, 'tenants: a member of B does not see tenant A');
select is((select count(*) from tenants), 1::bigint, 'tenants: a member of B sees exactly its tenant');
select is(tests.rows_affected(format('update tenants set legal_name = %L where id = %L', 'Pirate', tests.tenant('a'))), 0::bigint, 'tenants: a member of B cannot rename A');
select is(tests.rows_affected(format('delete from tenants where id = %L', tests.tenant('a'))), 0::bigint, 'tenants: a member of B cannot delete A');
select is(tests.error_of($$insert into tenants (slug, legal_name) values ('pirate', 'Pirate')$$), '42501', 'tenants: no direct insert (create_tenant is the way)');
select is(tests.error_of(format('update tenants set id = %L where id = %L', gen_random_uuid(), tests.tenant('b'))), '42501', 'tenants: id cannot be changed');

-- ---------------------------------------------------------------- joins and embedded selects
select is((select count(*) from deals d join contacts c on c.tenant_id = d.tenant_id and c.id = d.contact_id
            where c.tenant_id = tests.tenant('a')), 0::bigint, 'join deals→contacts shows nothing of A');
select is((select count(*) from contacts c where exists (select 1 from activities x where x.contact_id = c.id)), 1::bigint,
          'a correlated subquery sees only B''s activities');
select is((select count(*) from prospect_base_members m join contacts c on c.id = m.contact_id), 1::bigint,
          'embedding base members with contacts shows only B''s');
select is((select count(*) from pipeline_stage_totals where tenant_id = tests.tenant('a')), 0::bigint,
          'view pipeline_stage_totals (security_invoker) hides A');
select is((select sum(total_value) from pipeline_stage_totals), 1200000.00::numeric, 'view totals add up B''s deals only');

-- ---------------------------------------------------------------- references across tenants
select is(tests.error_of(format($$insert into deals (tenant_id, pipeline_id, stage_id, contact_id, title)
  select %L, pipeline_id, id, %L, 'Vol' from pipeline_stages where tenant_id = %L limit 1$$,
  tests.tenant('b'), 'c0000000-0000-4000-8000-0000000000a1', tests.tenant('b'))), '23503',
  'a B deal cannot point at an A contact');
select is(tests.error_of(format($$insert into activities (tenant_id, kind, deal_id, subject) values (%L, 'note', %L, 'x')$$,
  tests.tenant('b'), 'd0000000-0000-4000-8000-0000000000a1')), '23503', 'a B activity cannot point at an A deal');
select is(tests.error_of(format($$insert into prospect_base_members (tenant_id, prospect_base_id, contact_id) values (%L, %L, %L)$$,
  tests.tenant('b'), 'ba000000-0000-4000-8000-0000000000b1', 'c0000000-0000-4000-8000-0000000000a1')), '23503',
  'a B prospect base cannot hold an A contact');
select is(tests.error_of(format($$update deals set contact_id = %L where tenant_id = %L$$,
  'c0000000-0000-4000-8000-0000000000a2', tests.tenant('b'))), '23503', 'a B deal cannot be re-pointed at an A contact');

-- ---------------------------------------------------------------- RPCs
select is(tests.error_of(format($$select * from search_contacts(%L, 'anne')$$, tests.tenant('a'))), '42501', 'search_contacts refuses another tenant');
select is((select count(*) from search_contacts(tests.tenant('b'), 'bruno')), 1::bigint, 'search_contacts finds in the caller''s tenant');
select is(tests.error_of(format($$select record_contact_access(%L, array[%L]::uuid[])$$, tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a1')),
          '42501', 'record_contact_access refuses another tenant');
select is(tests.error_of(format($$select * from create_invitation(%L, 'spy@b.test', 'admin')$$, tests.tenant('a'))), '42501', 'create_invitation refuses another tenant');
select is(tests.error_of(format($$select transfer_ownership(%L, %L)$$, tests.tenant('a'), tests.uid('b_owner'))), '42501', 'transfer_ownership refuses another tenant');
select is(tests.error_of(format($$select leave_tenant(%L)$$, tests.tenant('a'))), 'P0002', 'leave_tenant of a tenant one is not in finds no membership');
select is(tests.error_of($$select accept_invitation('token-a')$$), '42501', 'an invitation for someone else cannot be accepted');

-- The user in both tenants sees both, and only with each tenant's role.
select tests.authenticate_as(tests.uid('multi'));
select is((select count(distinct tenant_id) from contacts), 2::bigint, 'a user in two tenants sees the contacts of both');
select is(tests.rows_affected(format('delete from activities where tenant_id = %L', tests.tenant('b'))), 0::bigint,
          'an assistant in B who is an agent in A still cannot delete in B');
select is(tests.rows_affected(format('delete from contacts where tenant_id = %L', tests.tenant('b'))), 0::bigint,
          'the same user cannot hard-delete B contacts');
select is(tests.error_of(format('update contacts set tenant_id = %L where tenant_id = %L', tests.tenant('b'), tests.tenant('a'))), '42501',
          'a user in two tenants cannot move a contact between them');

-- anon: no table, no RPC.
select tests.authenticate_as_anon();
select is(tests.error_of($$select * from create_tenant('anon-agency', 'Anon')$$), '42501', 'anon cannot call create_tenant');
select is(tests.error_of(format($$select * from search_contacts(%L, 'anne')$$, tests.tenant('a'))), '42501', 'anon cannot call search_contacts');
select is(tests.visible_rows('public.pipeline_stage_totals'), -1::bigint, 'anon cannot read the reporting view');
select is(tests.visible_rows('public.tenants'), -1::bigint, 'anon cannot read tenants');
select tests.clear_authentication();

select * from finish();
rollback;
