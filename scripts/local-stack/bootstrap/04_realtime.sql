-- Realtime reads the `supabase_realtime` publication through logical replication.
do $$ begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

-- Typed JSON for rows read from the WAL: `p_rows` is an array of objects whose
-- values are the WAL's text forms (json/jsonb already parsed); each comes back
-- as `to_jsonb` of the table's row type, in order. Called by the gateway as
-- superuser; no role switch happens here.
create or replace function realtime.typed_records(p_rel regclass, p_rows jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  execute format(
    'select coalesce(jsonb_agg(to_jsonb(jsonb_populate_record(null::%s, e.x)) order by e.n), ''[]''::jsonb)
       from jsonb_array_elements($1) with ordinality as e(x, n)',
    p_rel)
  using p_rows into result;
  return result;
end
$$;

-- The per-subscriber RLS check, batched: `p_checks` is an array of
-- {"claims": {...}, "keys": [[pk text values in PK column order], ...]}. For
-- each entry (index i, from 0) it switches to the claims' role with
-- `request.jwt.claims` set, as PostgREST and Supabase's apply_rls do, and
-- returns which of its keys that role can SELECT now. A role that may not read
-- the table sees none. Runs as the calling superuser (never security definer:
-- it must set `role`).
drop function if exists realtime.visible_keys(regclass, jsonb, jsonb);
create or replace function realtime.visible_keys(p_rel regclass, p_checks jsonb)
returns table (claims_index int, keys jsonb)
language plpgsql
volatile
as $$
declare
  pk_cols text[];
  pk_types text[];
  stmt text;
  chk jsonb;
  c jsonb;
  i int := 0;
  found_keys jsonb;
  qualified text;
begin
  select array_agg(a.attname::text order by k.ord), array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) order by k.ord)
    into pk_cols, pk_types
  from pg_catalog.pg_index ix
  cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
  join pg_catalog.pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum
  where ix.indrelid = p_rel and ix.indisprimary;
  if pk_cols is null then
    return;
  end if;
  select pg_catalog.format('%I.%I', n.nspname, cl.relname) into qualified
  from pg_catalog.pg_class cl join pg_catalog.pg_namespace n on n.oid = cl.relnamespace
  where cl.oid = p_rel;
  stmt := pg_catalog.format(
    'select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(%s)), ''[]''::jsonb) from %s as t where (%s) in (select %s from pg_catalog.jsonb_array_elements($1) as x)',
    (select string_agg(pg_catalog.format('t.%I::text', col), ', ') from unnest(pk_cols) as col),
    qualified,
    (select string_agg(pg_catalog.format('t.%I', col), ', ') from unnest(pk_cols) as col),
    (select string_agg(pg_catalog.format('(x->>%s)::%s', u.o - 1, u.t), ', ') from unnest(pk_types) with ordinality as u(t, o)));
  for chk in select value from pg_catalog.jsonb_array_elements(p_checks) loop
    c := chk->'claims';
    begin
      perform pg_catalog.set_config('role', coalesce(c->>'role', 'anon'), true);
      perform pg_catalog.set_config('request.jwt.claims', c::text, true);
      perform pg_catalog.set_config('request.jwt.claim.sub', coalesce(c->>'sub', ''), true);
      perform pg_catalog.set_config('request.jwt.claim.role', coalesce(c->>'role', 'anon'), true);
      execute stmt using chk->'keys' into found_keys;
      perform pg_catalog.set_config('role', 'none', true);
    exception when others then
      -- Insufficient privilege, an unknown role, a policy that raises: nothing is visible.
      found_keys := '[]'::jsonb;
    end;
    claims_index := i;
    keys := found_keys;
    return next;
    i := i + 1;
  end loop;
  perform pg_catalog.set_config('role', 'none', true);
end
$$;

revoke all on function realtime.typed_records(regclass, jsonb) from public, anon, authenticated, service_role;
revoke all on function realtime.visible_keys(regclass, jsonb) from public, anon, authenticated, service_role;
