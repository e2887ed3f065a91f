-- Random spacing between consecutive sends of a tenant on a channel, so a
-- tick's sends do not leave in one burst (cold e-mail deliverability).
--
-- tenant_sending_settings.send_spacing_min_seconds / _max_seconds: each send
-- of the tenant on a queue (`email`; `sms` for SMS and WhatsApp) leaves a
-- random gap in [min, max] seconds after the previous one. 0 / 0 (the
-- default) sends as fast as the provider's rate limit allows.
--
-- How: right after the tick enqueues, private.space_tick_sends() gives each
-- new queue message of a spaced tenant its slot by moving its visibility
-- (pgmq `vt`): the first at the tenant's next free slot (now, or later when
-- the previous tick's sends still run), each next one a random gap after the
-- previous. The next free slot per (tenant, queue) is kept in
-- private.send_spacing, so consecutive ticks continue the spacing instead of
-- starting a new burst. The worker reads only visible messages, and is woken
-- at every tick while the queue holds messages: a send leaves at its slot, or
-- at the first wake after it (resolution: the tick's schedule — every minute
-- with pg_cron, every few seconds with Supabase's second-level schedules).
-- The send-time gate still applies at that moment (windows, caps).

alter table public.tenant_sending_settings
  add column send_spacing_min_seconds integer not null default 0,
  add column send_spacing_max_seconds integer not null default 0,
  add constraint tenant_sending_settings_send_spacing check (
    send_spacing_min_seconds >= 0 and send_spacing_max_seconds >= send_spacing_min_seconds and send_spacing_max_seconds <= 600);
comment on column public.tenant_sending_settings.send_spacing_min_seconds is 'Shortest random gap between two sends of the tenant on one channel, seconds.';
comment on column public.tenant_sending_settings.send_spacing_max_seconds is 'Longest random gap between two sends of the tenant on one channel, seconds (0: no spacing).';

-- The next free slot of each spaced (tenant, queue).
create table private.send_spacing (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  queue text not null,
  next_at timestamptz not null,
  primary key (tenant_id, queue),
  constraint send_spacing_queue check (queue in ('email', 'sms'))
);
alter table private.send_spacing enable row level security;
revoke all on private.send_spacing from public, anon, authenticated;
grant select, insert, update, delete on private.send_spacing to service_role;

-- Spaces the sends the current tick enqueued (its work table,
-- pg_temp.sending_tick_work, lives until the tick's transaction ends).
-- Returns how many queue messages got their slot.
create or replace function private.space_tick_sends()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  q text;
  n integer := 0;
  k integer;
begin
  if to_regclass('pg_temp.sending_tick_work') is null then
    return 0;
  end if;
  create temp table if not exists send_spacing_slots (
    send_id uuid primary key, tenant_id uuid not null, slot timestamptz not null, next_at timestamptz not null
  ) on commit drop;
  foreach q in array array['email', 'sms'] loop
    truncate pg_temp.send_spacing_slots;
    -- slot_i = start + the gaps before it; the tenant's next free slot = start + all its gaps.
    insert into pg_temp.send_spacing_slots (send_id, tenant_id, slot, next_at)
    select g.send_id, g.tenant_id,
           g.start + make_interval(secs => g.before),
           g.start + make_interval(secs => g.total)
      from (
        select r.send_id, r.tenant_id, r.start,
               coalesce(sum(r.gap) over (partition by r.tenant_id order by r.rn rows between unbounded preceding and 1 preceding), 0) as before,
               sum(r.gap) over (partition by r.tenant_id) as total
          from (
            select w.send_id, w.tenant_id,
                   greatest(clock_timestamp(), coalesce(sp.next_at, '-infinity'::timestamptz)) as start,
                   st.send_spacing_min_seconds + random() * (st.send_spacing_max_seconds - st.send_spacing_min_seconds) as gap,
                   row_number() over (partition by w.tenant_id order by random()) as rn
              from pg_temp.sending_tick_work w
              join public.tenant_sending_settings st on st.tenant_id = w.tenant_id and st.send_spacing_max_seconds > 0
              left join private.send_spacing sp on sp.tenant_id = w.tenant_id and sp.queue = q
             where w.action = 'send' and w.channel <> 'task' and w.send_id is not null
               and (case when w.channel = 'email' then 'email' else 'sms' end) = q
          ) r
      ) g;
    if not exists (select 1 from pg_temp.send_spacing_slots) then
      continue;
    end if;
    execute format($f$
      update pgmq.%I m set vt = s.slot
        from pg_temp.send_spacing_slots s
       where m.message ->> 'sendId' = s.send_id::text and s.slot > m.vt$f$, 'q_' || q);
    get diagnostics k = row_count;
    n := n + k;
    insert into private.send_spacing (tenant_id, queue, next_at)
    select s.tenant_id, q, max(s.next_at) from pg_temp.send_spacing_slots s group by s.tenant_id
    on conflict (tenant_id, queue) do update set next_at = excluded.next_at;
  end loop;
  return n;
end;
$$;
revoke all on function private.space_tick_sends() from public, anon, authenticated;
grant execute on function private.space_tick_sends() to service_role;

-- The tick (20261208110000_sending_tick_wake.sql), spacing what it enqueued before waking the worker.
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
  spaced integer;
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
  spaced := private.space_tick_sends();
  ab := private.decide_ab_winners(at);
  paused := private.check_sending_health(at);
  orphans := private.requeue_orphan_sends(now());
  foreach q in array array['email', 'sms'] loop
    if exists (select 1 from pgmq.metrics(q) m where m.queue_length > 0) then
      perform private.invoke_edge_function('send-worker', jsonb_build_object('queue', q));
      woken := woken || q;
    end if;
  end loop;
  return r || jsonb_build_object('at', at, 'spaced', spaced, 'ab_decided', ab, 'auto_paused', paused, 'requeued', orphans,
                                 'woken', to_jsonb(woken));
end;
$$;
