-- The sending clock, and the tick that reads it.
--
-- Every time-dependent decision of the engine (the tick's due steps, windows,
-- caps, A/B and health decisions, and the worker's send-time gate) reads
-- private.sending_now() = now() + the clock offset. In production the offset
-- is zero (no row); tests and the Playwright journey "run the clock" with
-- private.run_tick(at) — or public.sending_run_clock(at) through the REST
-- API — as the service role: the offset becomes `at - now()` (kept, so the
-- worker woken by that tick sees the same instant), then one tick runs.
-- private.set_sending_clock(null) goes back to real time. There is no other
-- test-only path: the same tick, gate and worker code run either way.

create table private.sending_clock (
  id boolean primary key default true,
  offset_interval interval not null default interval '0',
  set_at timestamptz not null default now(),
  set_by text not null default current_user,
  constraint sending_clock_single_row check (id)
);

create or replace function private.sending_now()
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select now() + coalesce((select c.offset_interval from private.sending_clock c where c.id), interval '0')
$$;

-- Moves the sending clock so that sending_now() = p_at now (null: real time again).
create or replace function private.set_sending_clock(p_at timestamptz)
returns timestamptz
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_at is null then
    delete from private.sending_clock;
  else
    insert into private.sending_clock (id, offset_interval, set_at, set_by) values (true, p_at - now(), now(), session_user)
    on conflict (id) do update set offset_interval = excluded.offset_interval, set_at = excluded.set_at, set_by = excluded.set_by;
  end if;
  return private.sending_now();
end;
$$;

-- One tick at the sending clock's time: due steps → ledger + queue, A/B
-- decisions, health check (auto-pause), orphan sweep (real time: leases are
-- wall-clock), then wake the worker for each queue holding messages.
-- Replaces the first version (20261122040700_sending_cron.sql); pg_cron keeps
-- calling it every minute (and it is single-flight and idempotent for
-- second-level schedules).
create or replace function private.run_sending_tick(p_batch integer default 5000)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at timestamptz := private.sending_now();
  r jsonb := private.enqueue_due_steps(p_batch, at);
  ab integer;
  paused integer;
  orphans integer;
  q text;
  woken text[] := '{}';
begin
  if r ? 'skipped' then
    return r;
  end if;
  ab := private.decide_ab_winners(at);
  paused := private.check_sending_health(at);
  orphans := private.requeue_orphan_sends(now());
  foreach q in array array['email', 'sms'] loop
    if exists (select 1 from pgmq.metrics(q) m where m.queue_length > 0) then
      perform private.invoke_edge_function('send-worker', jsonb_build_object('queue', q));
      woken := woken || q;
    end if;
  end loop;
  return r || jsonb_build_object('at', at, 'ab_decided', ab, 'auto_paused', paused, 'requeued', orphans, 'woken', to_jsonb(woken));
end;
$$;

-- Sets the clock to `p_at` and runs one tick there.
create or replace function private.run_tick(p_at timestamptz, p_batch integer default 5000)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.set_sending_clock(p_at);
  return private.run_sending_tick(p_batch);
end;
$$;

-- The same through the REST API, for the service role only (E2E tests):
-- supabase.rpc('sending_run_clock', { p_at }) with the service key.
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
  return private.run_tick(p_at);
end;
$$;

revoke all on function private.sending_now(), private.set_sending_clock(timestamptz), private.run_tick(timestamptz, integer)
  from public, anon, authenticated;
grant execute on function private.sending_now(), private.set_sending_clock(timestamptz), private.run_tick(timestamptz, integer) to service_role;
revoke all on function public.sending_run_clock(timestamptz) from public, anon, authenticated;
grant execute on function public.sending_run_clock(timestamptz) to service_role;

-- The health check also runs on its own every 5 minutes (all tenants with recent complaints/bounces).
select private.schedule_job('sending-health', '*/5 * * * *', 'select private.check_sending_health(private.sending_now())');
