-- Realtime reads the `supabase_realtime` publication through logical replication.
do $$ begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
