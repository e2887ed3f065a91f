-- Background-work plumbing shared by every domain: the platform extensions the
-- jobs rely on, `private.invoke_edge_function` (pg_cron / triggers → pg_net →
-- an edge function, authenticated with the service key) and
-- `private.schedule_job` (cron that can run twice).
--
-- Production: pg_cron, pg_net, pgmq and Vault are Supabase extensions. This
-- migration enables pgmq and pg_net when their schemas are missing (the
-- dashboard's Queues / Extensions switches do the same); the local stack has
-- stand-ins for both already, so nothing is created there. The two Vault
-- secrets `project_url` and `service_role_key` are created once per project
-- (docs/deploy.md); the local stack writes them at every start.

do $$
begin
  if to_regnamespace('pgmq') is null then
    create extension if not exists pgmq;
  end if;
  if to_regnamespace('net') is null then
    create extension if not exists pg_net with schema extensions;
  end if;
  if to_regclass('vault.decrypted_secrets') is null then
    raise exception 'Supabase Vault (vault.decrypted_secrets) is required';
  end if;
  if to_regnamespace('cron') is null then
    create extension if not exists pg_cron;
  end if;
end
$$;

create schema if not exists private;
revoke all on schema private from public, anon, authenticated;

-- POSTs `body` to the edge function `name` of this project with the service
-- key, through pg_net: asynchronous, returns the pg_net request id (the
-- response lands in net._http_response). Reads the project URL and key from
-- Vault, never from code.
create or replace function private.invoke_edge_function(name text, body jsonb default '{}'::jsonb)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  project_url text;
  service_key text;
begin
  if name is null or name !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    raise exception 'invalid edge function name: %', name using errcode = '22023';
  end if;
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into service_key from vault.decrypted_secrets s where s.name = 'service_role_key';
  if project_url is null or service_key is null then
    raise exception 'Vault secrets project_url and service_role_key must be set to invoke edge functions'
      using errcode = '55000';
  end if;
  return net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/' || name,
    body := coalesce(body, '{}'::jsonb),
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || service_key
    ),
    timeout_milliseconds := 30000
  );
end;
$$;

-- Schedules `command` under `job_name`, replacing any job of that name, so a
-- migration or seed can run again without piling up duplicates. Returns the job id.
create or replace function private.schedule_job(job_name text, schedule text, command text)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if job_name is null or length(btrim(job_name)) = 0 then
    raise exception 'job_name is required' using errcode = '22023';
  end if;
  perform cron.unschedule(j.jobid) from cron.job j where j.jobname = job_name;
  return cron.schedule(job_name, schedule, command);
end;
$$;

revoke all on function private.invoke_edge_function(text, jsonb) from public, anon, authenticated;
revoke all on function private.schedule_job(text, text, text) from public, anon, authenticated;
grant execute on function private.invoke_edge_function(text, jsonb) to service_role;
