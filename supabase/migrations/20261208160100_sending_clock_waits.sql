-- The operator's clock (service role) runs a tick at a chosen instant. pg_cron's
-- own tick may be running at that moment; the explicit run waits for it (the
-- lock is re-entrant, so run_tick's single-flight check then passes) instead of
-- answering "another tick is running" and doing nothing.
create or replace function public.sending_run_clock(p_at timestamptz)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if coalesce(current_setting('request.jwt.claims', true)::jsonb ->> 'role', '') <> 'service_role' and session_user <> current_user then
    raise exception using errcode = '42501', message = 'service_role_only';
  end if;
  perform pg_advisory_xact_lock(hashtext('private.enqueue_due_steps'));
  return private.run_tick(p_at);
end;
$$;

revoke all on function public.sending_run_clock(timestamptz) from public, anon, authenticated;
grant execute on function public.sending_run_clock(timestamptz) to service_role;
