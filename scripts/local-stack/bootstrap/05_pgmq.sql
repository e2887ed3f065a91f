-- Local stand-in for the pgmq extension (SQL API of pgmq 1.4, the release
-- Supabase Queues ships), for clusters where the extension is not installed.
-- Same schema, tables, record types, function names, signatures and return
-- shapes, so migrations and workers run unchanged on Supabase, where pgmq is
-- enabled once per project (dashboard → Integrations → Queues, or
-- `create extension pgmq`; see migration 20261122000050_platform_jobs.sql).
-- Idempotent: the bootstrap runs on every start.
--
-- Differences, all on the strict side: queue names are limited to letters,
-- digits and `_` (pgmq only refuses `$ ; -- '`), and EXECUTE is granted to
-- postgres and service_role only.

do $$ begin
  if exists (select 1 from pg_extension where extname = 'pgmq') then
    raise notice 'pgmq extension installed: the stand-in is not needed';
  end if;
end $$;

create schema if not exists pgmq;

create table if not exists pgmq.meta (
  queue_name varchar unique not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamptz default now() not null
);

do $$ begin
  if to_regtype('pgmq.message_record') is null then
    create type pgmq.message_record as (
      msg_id bigint,
      read_ct integer,
      enqueued_at timestamptz,
      vt timestamptz,
      message jsonb
    );
  end if;
  if to_regtype('pgmq.queue_record') is null then
    create type pgmq.queue_record as (
      queue_name varchar,
      is_partitioned boolean,
      is_unlogged boolean,
      created_at timestamptz
    );
  end if;
  if to_regtype('pgmq.metrics_result') is null then
    create type pgmq.metrics_result as (
      queue_name text,
      queue_length bigint,
      newest_msg_age_sec int,
      oldest_msg_age_sec int,
      total_messages bigint,
      scrape_time timestamptz
    );
  end if;
end $$;

-- Table name for a queue: `q_<name>` (messages) or `a_<name>` (archive), lower case.
create or replace function pgmq.format_table_name(queue_name text, prefix text)
returns text language plpgsql immutable as $$
begin
  if queue_name is null or queue_name !~ '^[A-Za-z0-9_]+$' then
    raise exception 'queue name must be letters, digits and underscores: %', queue_name;
  end if;
  return lower(prefix || '_' || queue_name);
end $$;

create or replace function pgmq.validate_queue_name(queue_name text)
returns void language plpgsql as $$
begin
  if length(queue_name) > 47 then
    raise exception 'queue name is too long, maximum length is 47 characters';
  end if;
  perform pgmq.format_table_name(queue_name, 'q');
end $$;

-- Serialises concurrent creation of the same queue until commit.
create or replace function pgmq.acquire_queue_lock(queue_name text)
returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
end $$;

create or replace function pgmq._create(queue_name text, unlogged boolean)
returns void language plpgsql as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
  kind text := case when unlogged then 'unlogged table' else 'table' end;
begin
  perform pgmq.validate_queue_name(queue_name);
  perform pgmq.acquire_queue_lock(queue_name);
  execute format($q$
    create %s if not exists pgmq.%I (
      msg_id bigint primary key generated always as identity,
      read_ct int default 0 not null,
      enqueued_at timestamptz default now() not null,
      vt timestamptz not null,
      message jsonb
    )$q$, kind, qtable);
  execute format($q$
    create table if not exists pgmq.%I (
      msg_id bigint primary key,
      read_ct int default 0 not null,
      enqueued_at timestamptz default now() not null,
      archived_at timestamptz default now() not null,
      vt timestamptz not null,
      message jsonb
    )$q$, atable);
  execute format('create index if not exists %I on pgmq.%I (vt asc)', qtable || '_vt_idx', qtable);
  execute format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || atable, atable);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (queue_name, false, unlogged)
  on conflict do nothing;
end $$;

create or replace function pgmq.create(queue_name text)
returns void language sql as $$ select pgmq._create(queue_name, false) $$;

create or replace function pgmq.create_non_partitioned(queue_name text)
returns void language sql as $$ select pgmq._create(queue_name, false) $$;

create or replace function pgmq.create_unlogged(queue_name text)
returns void language sql as $$ select pgmq._create(queue_name, true) $$;

create or replace function pgmq.drop_queue(queue_name text, partitioned boolean default false)
returns boolean language plpgsql as $$
begin
  if partitioned then
    raise exception 'partitioned queues are not supported by the local pgmq stand-in';
  end if;
  perform pgmq.acquire_queue_lock(queue_name);
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
  return true;
end $$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay integer default 0)
returns setof bigint language plpgsql as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message) values (clock_timestamp() + make_interval(secs => $2), $1) returning msg_id',
    pgmq.format_table_name(queue_name, 'q')
  ) using msg, delay;
end $$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0)
returns setof bigint language plpgsql as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message)
     select clock_timestamp() + make_interval(secs => $2), m from unnest($1::jsonb[]) with ordinality as u(m, i) order by i
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q')
  ) using msgs, delay;
end $$;

-- Takes up to `qty` visible messages, oldest first, and hides them for `vt`
-- seconds. SKIP LOCKED: concurrent readers never receive the same message.
create or replace function pgmq.read(queue_name text, vt integer, qty integer)
returns setof pgmq.message_record language plpgsql as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute format($q$
    with cte as (
      select msg_id from pgmq.%I
      where vt <= clock_timestamp()
      order by msg_id asc
      limit $1
      for update skip locked
    )
    update pgmq.%I m
    set vt = clock_timestamp() + make_interval(secs => $2), read_ct = read_ct + 1
    from cte
    where m.msg_id = cte.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message$q$, qtable, qtable
  ) using qty, vt;
end $$;

-- `read`, retried every `poll_interval_ms` for up to `max_poll_seconds` while the queue is empty.
create or replace function pgmq.read_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer default 5,
  poll_interval_ms integer default 100
)
returns setof pgmq.message_record language plpgsql as $$
declare
  stop_at timestamptz := clock_timestamp() + make_interval(secs => max_poll_seconds);
  got int;
begin
  loop
    return query select * from pgmq.read(queue_name, vt, qty);
    get diagnostics got = row_count;
    if got > 0 or clock_timestamp() >= stop_at then
      return;
    end if;
    perform pg_sleep(poll_interval_ms / 1000.0);
  end loop;
end $$;

-- Reads one message and deletes it at once (no archive, no retry).
create or replace function pgmq.pop(queue_name text)
returns setof pgmq.message_record language plpgsql as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute format($q$
    with cte as (
      select msg_id from pgmq.%I
      where vt <= clock_timestamp()
      order by msg_id asc
      limit 1
      for update skip locked
    )
    delete from pgmq.%I m using cte
    where m.msg_id = cte.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message$q$, qtable, qtable);
end $$;

-- Makes a message visible again `vt` seconds from now.
create or replace function pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
returns setof pgmq.message_record language plpgsql as $$
begin
  return query execute format(
    'update pgmq.%I set vt = clock_timestamp() + make_interval(secs => $2) where msg_id = $1
     returning msg_id, read_ct, enqueued_at, vt, message',
    pgmq.format_table_name(queue_name, 'q')
  ) using msg_id, vt;
end $$;

create or replace function pgmq.delete(queue_name text, msg_id bigint)
returns boolean language plpgsql as $$
declare
  found_id bigint;
begin
  execute format('delete from pgmq.%I where msg_id = $1 returning msg_id', pgmq.format_table_name(queue_name, 'q'))
    into found_id using msg_id;
  return found_id is not null;
end $$;

create or replace function pgmq.delete(queue_name text, msg_ids bigint[])
returns setof bigint language plpgsql as $$
begin
  return query execute format(
    'delete from pgmq.%I where msg_id = any($1) returning msg_id', pgmq.format_table_name(queue_name, 'q')
  ) using msg_ids;
end $$;

create or replace function pgmq.archive(queue_name text, msg_id bigint)
returns boolean language plpgsql as $$
declare
  found_id bigint;
begin
  execute format($q$
    with archived as (
      delete from pgmq.%I where msg_id = $1
      returning msg_id, vt, read_ct, enqueued_at, message
    )
    insert into pgmq.%I (msg_id, vt, read_ct, enqueued_at, message)
    select msg_id, vt, read_ct, enqueued_at, message from archived
    returning msg_id$q$,
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')
  ) into found_id using msg_id;
  return found_id is not null;
end $$;

create or replace function pgmq.archive(queue_name text, msg_ids bigint[])
returns setof bigint language plpgsql as $$
begin
  return query execute format($q$
    with archived as (
      delete from pgmq.%I where msg_id = any($1)
      returning msg_id, vt, read_ct, enqueued_at, message
    )
    insert into pgmq.%I (msg_id, vt, read_ct, enqueued_at, message)
    select msg_id, vt, read_ct, enqueued_at, message from archived
    returning msg_id$q$,
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')
  ) using msg_ids;
end $$;

-- Deletes every message of the queue (not the archive); returns how many.
create or replace function pgmq.purge_queue(queue_name text)
returns bigint language plpgsql as $$
declare
  deleted bigint;
begin
  execute format('with d as (delete from pgmq.%I returning 1) select count(*) from d', pgmq.format_table_name(queue_name, 'q'))
    into deleted;
  return deleted;
end $$;

create or replace function pgmq.metrics(queue_name text)
returns pgmq.metrics_result language plpgsql as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  result pgmq.metrics_result;
begin
  execute format($q$
    with q_summary as (
      select count(*) as queue_length,
             extract(epoch from (now() - max(enqueued_at)))::int as newest_msg_age_sec,
             extract(epoch from (now() - min(enqueued_at)))::int as oldest_msg_age_sec,
             now() as scrape_time
      from pgmq.%I
    ),
    all_metrics as (
      select case when is_called then last_value else 0 end as total_messages
      from pgmq.%I
    )
    select %L, q.queue_length, q.newest_msg_age_sec, q.oldest_msg_age_sec, a.total_messages, q.scrape_time
    from q_summary q, all_metrics a$q$,
    qtable, qtable || '_msg_id_seq', queue_name
  ) into result;
  return result;
end $$;

create or replace function pgmq.metrics_all()
returns setof pgmq.metrics_result language plpgsql as $$
declare
  q record;
begin
  for q in select m.queue_name from pgmq.meta m order by m.queue_name loop
    return next pgmq.metrics(q.queue_name);
  end loop;
end $$;

create or replace function pgmq.list_queues()
returns setof pgmq.queue_record language sql as $$
  select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta order by queue_name
$$;

-- Privileges: the service role (edge-function workers, cron) and postgres; no API role.
revoke all on schema pgmq from public, anon, authenticated;
grant usage, create on schema pgmq to service_role;
revoke all on all functions in schema pgmq from public, anon, authenticated;
grant execute on all functions in schema pgmq to service_role;
revoke all on all tables in schema pgmq from public, anon, authenticated;
grant all on all tables in schema pgmq to service_role;
grant all on all sequences in schema pgmq to service_role;
alter default privileges for role postgres in schema pgmq revoke execute on functions from public;
alter default privileges for role postgres in schema pgmq grant all on tables to service_role;
alter default privileges for role postgres in schema pgmq grant all on sequences to service_role;
