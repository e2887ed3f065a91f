-- private.analytics_is_person as an inlinable SQL function. With its
-- `set search_path` clause (20261208120000) Postgres could not inline it and
-- called it once per message event: a rebuild of a 1,000,000-event agency
-- ran for more than ten minutes instead of tens of seconds. The body names no
-- relation, only the jsonb ->> and text <> operators of pg_catalog, so no
-- search path is needed (it is not security definer).
create or replace function private.analytics_is_person(p_payload jsonb)
returns boolean
language sql
immutable
parallel safe
as $$ select coalesce(p_payload ->> 'bot', '') <> 'true' $$;
