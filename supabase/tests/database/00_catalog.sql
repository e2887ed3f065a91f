-- Catalog walk: structural rules every table, policy and function of the
-- exposed schema must follow. A new table is covered without editing this file.
begin;
\ir _helpers.psql

create temp table exposed_tables on commit drop as
  select c.oid::regclass as tbl, c.relname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p');

create temp table tenant_tables on commit drop as
  select e.* from exposed_tables e
   where exists (select 1 from pg_attribute a where a.attrelid = e.tbl and a.attname = 'tenant_id' and not a.attisdropped);

-- Security definer functions that anon may call on purpose (public entry points).
create temp table anon_entry_points (fn text) on commit drop;
-- (none yet)

select plan(
  (select count(*)::int * 5 from exposed_tables)
  + (select count(*)::int * 3 from tenant_tables)
  + 8
);

-- 1. RLS on every table of public.
select ok(c.relrowsecurity, format('%s has row level security enabled', e.relname))
  from exposed_tables e join pg_class c on c.oid = e.tbl order by e.relname;

-- 2. Every command the API role is granted has a policy for it.
select is(
  (select coalesce(array_agg(g.command order by g.command), '{}')
     from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) as g(command)
    where has_any_column_privilege('authenticated', e.tbl, case when g.command = 'DELETE' then 'SELECT' else g.command end)
      and (g.command <> 'DELETE' or has_table_privilege('authenticated', e.tbl, 'DELETE'))
      and not exists (select 1 from pg_policies p
                       where p.schemaname = 'public' and p.tablename = e.relname
                         and p.cmd in (g.command, 'ALL')
                         and (p.roles && array['authenticated', 'public']::name[]))),
  '{}'::text[],
  format('%s: every command granted to authenticated has a policy', e.relname))
  from exposed_tables e order by e.relname;

-- 3. anon holds no privilege on a table unless a policy is written for it.
select is(
  (select coalesce(array_agg(g.command order by g.command), '{}')
     from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as g(command)
    where has_table_privilege('anon', e.tbl, g.command)
      and not exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = e.relname
                       and p.roles && array['anon']::name[])),
  '{}'::text[],
  format('%s: anon has no privilege without an anon policy', e.relname))
  from exposed_tables e order by e.relname;

-- 4. Policies call auth.* and private.* helpers only inside (select …), so they run once per statement.
select is(
  (select coalesce(array_agg(distinct m[2]), '{}')
     from pg_policies p, regexp_matches(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                        '(SELECT\s+)?((?:auth\.(?:uid|jwt|role|email)|private\.[a-z_0-9]+)\()', 'g') m
    where p.schemaname = 'public' and p.tablename = e.relname and m[1] is null),
  '{}'::text[],
  format('%s: policies wrap helper calls in (select …)', e.relname))
  from exposed_tables e order by e.relname;

-- 5. Every tenant-scoped table: tenant_id not null, leading an index, protected on update.
select ok(
  (select a.attnotnull from pg_attribute a where a.attrelid = t.tbl and a.attname = 'tenant_id'),
  format('%s.tenant_id is not null', t.relname))
  from tenant_tables t order by t.relname;

select ok(
  exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
           where i.indrelid = t.tbl and a.attname = 'tenant_id'),
  format('%s has an index led by tenant_id', t.relname))
  from tenant_tables t order by t.relname;

-- A row cannot be moved to another tenant through the API: either the API may not
-- update the table (or not that column), or a protect_fields trigger guards tenant_id.
select ok(
  not has_column_privilege('authenticated', t.tbl, 'tenant_id', 'UPDATE')
  or exists (select 1 from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
              where tg.tgrelid = t.tbl and p.proname = 'protect_fields'
                and position('\x74656e616e745f696400'::bytea in tg.tgargs) > 0),
  format('%s: tenant_id cannot be changed by the API', t.relname))
  from tenant_tables t order by t.relname;

-- 6. Columns policies filter on are indexed.
select is(
  (select coalesce(array_agg(distinct a.attname::text order by a.attname::text), '{}')
     from pg_attribute a
    where a.attrelid = e.tbl and a.attnum > 0 and not a.attisdropped
      and exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = e.relname
                   and (coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '')) ~ ('(^|[^a-z_.])' || a.attname || '($|[^a-z_(])'))
      and not exists (select 1 from pg_index i where i.indrelid = e.tbl and a.attnum = any (i.indkey::int2[]))),
  '{}'::text[],
  format('%s: every column its policies filter on is indexed', e.relname))
  from exposed_tables e order by e.relname;

-- 7. Foreign keys have an index led by their columns.
select is(
  (select coalesce(array_agg(format('%s(%s)', con.conrelid::regclass, con.conname) order by con.conname), '{}')
     from pg_constraint con join pg_namespace n on n.oid = con.connamespace
    where n.nspname = 'public' and con.contype = 'f'
      and not exists (
        select 1 from pg_index i
         where i.indrelid = con.conrelid
           and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
           and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey)),
  '{}'::text[],
  'every foreign key in public has an index led by its columns');

-- 8. Security definer functions in public and private pin their search_path.
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private') and p.prosecdef
      and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')),
  '{}'::text[],
  'security definer functions in public/private set search_path');

-- 9. anon executes no security definer function except deliberate entry points.
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private') and p.prosecdef
      and has_function_privilege('anon', p.oid, 'execute')
      and p.oid::regprocedure::text not in (select fn from anon_entry_points)),
  '{}'::text[],
  'anon can execute no security definer function');

-- 10. Nothing in private is executable by PUBLIC.
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'private'
      and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x where x.grantee = 0 and x.privilege_type = 'EXECUTE')),
  '{}'::text[],
  'no private function is executable by PUBLIC');

-- 11. Views in public run with the caller's rights.
select is(
  (select coalesce(array_agg(c.relname::text order by 1), '{}')
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'v'
      and not coalesce(c.reloptions @> array['security_invoker=on'] or c.reloptions @> array['security_invoker=true'], false)),
  '{}'::text[],
  'views in public are security_invoker');

-- 12. Tables with updated_at maintain it.
select is(
  (select coalesce(array_agg(e.relname::text order by 1), '{}')
     from exposed_tables e
    where exists (select 1 from pg_attribute a where a.attrelid = e.tbl and a.attname = 'updated_at' and not a.attisdropped)
      and not exists (select 1 from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
                       where tg.tgrelid = e.tbl and p.proname = 'set_updated_at')
      and e.relname <> 'tenant_usage'),
  '{}'::text[],
  'tables with updated_at have the set_updated_at trigger');

-- 13. The role helpers have the shape policies rely on.
select is(
  (select array_agg(format('%s:%s:%s', p.proname, p.provolatile, p.prosecdef) order by p.proname)
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'private' and p.proname in ('tenant_ids_with_role', 'has_role_on_tenant')),
  array['has_role_on_tenant:s:t', 'tenant_ids_with_role:s:t'],
  'role helpers are stable security definer functions');

-- 14. Events and notifications are published to Realtime.
select ok(
  (select count(*) = 2 from pg_publication_tables where pubname = 'supabase_realtime'
      and schemaname = 'public' and tablename in ('events', 'notifications')),
  'events and notifications are in the supabase_realtime publication');

select * from finish();
rollback;
