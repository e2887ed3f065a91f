/**
 * Fixtures for the Realtime stack tests: tables in `rt_fixtures` published to
 * `supabase_realtime`, RLS by tenant membership through auth.uid(), user JWTs
 * minted with the stack's secret (no dependency on the Auth service), and
 * small helpers to subscribe with the real supabase-js and wait for events.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import WebSocket from 'ws'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { adminSql, client, env } from '../helpers/stack'

const SETUP = `
create schema if not exists rt_fixtures;
grant usage on schema rt_fixtures to anon, authenticated, service_role;
create table if not exists rt_fixtures.members (
  tenant_id uuid not null, user_id uuid not null, primary key (tenant_id, user_id));
create table if not exists rt_fixtures.items (
  id bigserial primary key,
  tenant_id uuid not null,
  title text,
  n int,
  done boolean not null default false,
  tags text[],
  data jsonb,
  price numeric(10,2),
  created_at timestamptz not null default now());
create index if not exists items_tenant on rt_fixtures.items (tenant_id);
alter table rt_fixtures.items enable row level security;
drop policy if exists items_select on rt_fixtures.items;
create policy items_select on rt_fixtures.items for select to authenticated
  using (tenant_id in (select m.tenant_id from rt_fixtures.members m where m.user_id = (select auth.uid())));
create table if not exists rt_fixtures.items_full (
  id bigserial primary key, tenant_id uuid not null, title text, n int);
alter table rt_fixtures.items_full replica identity full;
create table if not exists rt_fixtures.items_full_rls (
  id bigserial primary key, tenant_id uuid not null, title text);
alter table rt_fixtures.items_full_rls replica identity full;
alter table rt_fixtures.items_full_rls enable row level security;
drop policy if exists full_rls_select on rt_fixtures.items_full_rls;
create policy full_rls_select on rt_fixtures.items_full_rls for select to anon, authenticated using (true);
create table if not exists rt_fixtures.metrics (
  id bigserial primary key, run uuid not null, label text, n int, ok boolean, at timestamptz);
create table if not exists rt_fixtures.nopk (run uuid, label text);
create table if not exists rt_fixtures.secret_cols (
  id bigserial primary key, run uuid not null, visible text, hidden text);
grant select, insert, update, delete on all tables in schema rt_fixtures to anon, authenticated, service_role;
revoke select on rt_fixtures.secret_cols from anon, authenticated;
grant select (id, run, visible) on rt_fixtures.secret_cols to anon, authenticated;
grant usage on all sequences in schema rt_fixtures to anon, authenticated, service_role;
do $$
declare t text;
begin
  foreach t in array array['items', 'items_full', 'items_full_rls', 'metrics', 'nopk', 'secret_cols'] loop
    if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'rt_fixtures' and tablename = t) then
      execute format('alter publication supabase_realtime add table rt_fixtures.%I', t);
    end if;
  end loop;
end $$;
`

/** Creates the fixture schema once per database (files running in parallel take a lock). */
export async function setupFixtures(): Promise<void> {
  const sql = adminSql()
  try {
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('rt_fixtures'))`
      await tx.unsafe(SETUP)
    })
  } finally {
    await sql.end()
  }
}

export async function mintToken(sub: string, opts: { expiresIn?: number; role?: string; omitExp?: boolean } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({ role: opts.role ?? 'authenticated', aud: 'authenticated', email: `${sub.slice(0, 8)}@example.test` })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(now)
  if (!opts.omitExp) jwt.setExpirationTime(now + (opts.expiresIn ?? 3600))
  return jwt.sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))
}

/**
 * A supabase-js client whose Realtime connection authenticates as `token`
 * (or the API key). supabase-js re-reads its token callback on every join and
 * heartbeat, so the token goes in through `accessToken` (as a signed-in
 * session would); `auth.token` can be swapped, then `realtime.setAuth()`.
 */
export async function rtClient(opts: { token?: string; key?: 'anon' | 'service' } = {}): Promise<SupabaseClient & { auth_: { token?: string } }> {
  if (!opts.token) return Object.assign(client(opts.key ?? 'anon'), { auth_: {} })
  const holder: { token?: string } = { token: opts.token }
  const key = opts.key === 'service' ? env('SUPABASE_SERVICE_ROLE_KEY') : env('SUPABASE_ANON_KEY')
  const c = createClient(env('SUPABASE_URL'), key, {
    accessToken: async () => holder.token ?? key,
    realtime: { transport: WebSocket as never },
  })
  // The client resolves its token asynchronously; a join sent before that would go out as anon.
  await c.realtime.setAuth()
  return Object.assign(c, { auth_: holder })
}

/** A tenant with one member user; returns the user's id and token. */
export async function tenantWithUser(): Promise<{ tenantId: string; userId: string; token: string }> {
  const tenantId = randomUUID()
  const userId = randomUUID()
  const sql = adminSql()
  try {
    await sql`insert into rt_fixtures.members (tenant_id, user_id) values (${tenantId}, ${userId})`
  } finally {
    await sql.end()
  }
  return { tenantId, userId, token: await mintToken(userId) }
}

/** Subscribes and resolves on SUBSCRIBED; rejects on CHANNEL_ERROR/TIMED_OUT/CLOSED. */
export function subscribed(ch: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    ch.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(ch)
      else reject(new Error(`${status}${err ? `: ${err.message}` : ''}`))
    })
  })
}

/** Collects events; `waitFor` resolves with the first one (already seen or future) matching. */
export class Inbox<T = any> {
  items: T[] = []
  private waiters: { pred: (x: T) => boolean; resolve: (x: T) => void }[] = []
  push = (x: T): void => {
    this.items.push(x)
    for (const w of [...this.waiters]) {
      if (w.pred(x)) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(x)
      }
    }
  }
  waitFor(pred: (x: T) => boolean, timeoutMs = 8000): Promise<T> {
    const hit = this.items.find(pred)
    if (hit) return Promise.resolve(hit)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.items).slice(0, 800)}`)), timeoutMs)
      this.waiters.push({ pred, resolve: (x) => (clearTimeout(t), resolve(x)) })
    })
  }
}
