-- The orphan sweep (20261207040500_delivery_control.sql) judged idleness on
-- queued_at, which is sending-clock time (the tick dates sends with
-- private.sending_now()) and so in the future under a test clock. Idleness is
-- wall-clock: the row's updated_at (maintained on every change) and its lease.

create or replace function private.requeue_orphan_sends(p_now timestamptz default now(), p_idle interval default interval '15 minutes')
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n integer := 0;
  q text;
  ids uuid[];
begin
  foreach q in array array['email', 'sms'] loop
    execute format($f$
      select coalesce(array_agg(ms.id), '{}') from public.message_sends ms
       where ms.status in ('queued', 'sending') and ms.channel <> 'task'
         and (case when ms.channel = 'email' then 'email' else 'sms' end) = %L
         and ms.updated_at < $1 and coalesce(ms.lease_until, '-infinity') < $2
         and not exists (select 1 from pgmq.%I m where m.message ->> 'sendId' = ms.id::text)$f$, q, 'q_' || q)
      into ids using p_now - p_idle, p_now;
    if cardinality(ids) > 0 then
      perform pgmq.send_batch(q, array(select jsonb_build_object('type', 'send.' || ms.channel, 'sendId', ms.id)
                                         from public.message_sends ms where ms.id = any (ids)));
      n := n + cardinality(ids);
    end if;
  end loop;
  return n;
end;
$$;

-- The sweep's work list across tenants: open sends by last change.
create index message_sends_open_idx on public.message_sends (updated_at) where status in ('queued', 'sending');
