-- Default privileges as a new Supabase project has them: the API roles get table
-- rights in public, so Row Level Security is the real gate. Applied once, on a fresh
-- database (as Supabase does at project creation): migrations may tighten them
-- afterwards, and a restart of the stack must not loosen them again.
do $$
begin
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    return;
  end if;
  grant usage on schema public to postgres, anon, authenticated, service_role;
  alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
end $$;
