-- The sending clock: the `email` and `sms` queues, and a pg_cron job every
-- minute that runs the tick and wakes the `send-worker` edge function through
-- pg_net for each queue holding messages. (pg_cron 1.4 ticks per minute; with
-- Supabase's second-level schedules the same command runs every N seconds: the
-- tick is single-flight and idempotent.)

do $$
begin
  if not exists (select 1 from pgmq.list_queues() q where q.queue_name = 'email') then
    perform pgmq.create('email');
  end if;
  if not exists (select 1 from pgmq.list_queues() q where q.queue_name = 'sms') then
    perform pgmq.create('sms');
  end if;
end
$$;

-- One tick: enqueue what is due, then wake the worker for each non-empty queue.
create or replace function private.run_sending_tick(p_batch integer default 5000)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  r jsonb := private.enqueue_due_steps(p_batch, now());
  q text;
  woken text[] := '{}';
begin
  foreach q in array array['email', 'sms'] loop
    if exists (select 1 from pgmq.metrics(q) m where m.queue_length > 0) then
      perform private.invoke_edge_function('send-worker', jsonb_build_object('queue', q));
      woken := woken || q;
    end if;
  end loop;
  return r || jsonb_build_object('woken', to_jsonb(woken));
end;
$$;
revoke all on function private.run_sending_tick(integer) from public, anon, authenticated;
grant execute on function private.run_sending_tick(integer) to service_role;

select private.schedule_job('sending-tick', '* * * * *', 'select private.run_sending_tick()');
