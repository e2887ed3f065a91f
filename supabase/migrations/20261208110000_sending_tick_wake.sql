-- The tick woke no worker (and ran none of its later stages).
--
-- private.enqueue_due_steps returns a summary that always carries a
-- `skipped` key: the number of steps whose condition was false
-- (`"skipped": 0` on most ticks). Its single-flight guard returns
-- `{"skipped": "another tick is running"}` when another tick holds the lock.
-- private.run_sending_tick (20261207040600_sending_clock.sql) told the two
-- apart with `r ? 'skipped'`, true for both, so every tick returned right
-- after enqueueing: no A/B decision, no health check, no orphan sweep, and
-- no `send-worker` wake-up through pg_net. The sends stayed in their queue
-- until something else drained it (nothing does, in production or locally).
--
-- The guard's answer is the only one whose `skipped` is a string: the tick
-- now stops early on that alone. Otherwise the function is unchanged.
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
  -- Another tick is running (single-flight): it does the rest.
  if jsonb_typeof(r -> 'skipped') = 'string' then
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
revoke all on function private.run_sending_tick(integer) from public, anon, authenticated;
grant execute on function private.run_sending_tick(integer) to service_role;
