-- Policy shape (docs/security.md "How policies are written"), read from the catalog so a
-- new table is covered without editing this file: one policy per command (no FOR ALL,
-- no second permissive policy for the same command), WITH CHECK on every update policy,
-- and no anon privilege on a view of public (views have no policies of their own).
begin;
\ir _helpers.psql

select plan(4);

select is(
  (select coalesce(array_agg(format('%s.%s', tablename, policyname) order by 1), '{}')
     from pg_policies where schemaname = 'public' and cmd = 'ALL'),
  '{}'::text[],
  'no policy in public is FOR ALL (one policy per command)');

select is(
  (select coalesce(array_agg(format('%s %s (%s)', tablename, cmd, n) order by 1), '{}')
     from (select tablename, cmd, count(*) as n from pg_policies
            where schemaname = 'public' and permissive = 'PERMISSIVE' and roles && array['authenticated', 'public']::name[]
            group by tablename, cmd having count(*) > 1) x),
  '{}'::text[],
  'each table has at most one permissive policy per command for authenticated');

select is(
  (select coalesce(array_agg(format('%s.%s', tablename, policyname) order by 1), '{}')
     from pg_policies where schemaname = 'public' and cmd = 'UPDATE' and with_check is null),
  '{}'::text[],
  'every update policy in public has an explicit WITH CHECK');

select is(
  (select coalesce(array_agg(c.relname::text order by 1), '{}')
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('v', 'm')
      and (has_table_privilege('anon', c.oid, 'SELECT') or has_table_privilege('anon', c.oid, 'INSERT')
           or has_table_privilege('anon', c.oid, 'UPDATE') or has_table_privilege('anon', c.oid, 'DELETE'))),
  '{}'::text[],
  'anon has no privilege on any view of public');

select * from finish();
rollback;
