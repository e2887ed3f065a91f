/**
 * Postgres restarted under load, on a private stack (its own cluster and gateway, so the
 * shared test database never goes down under the other files): while it is down or
 * starting, REST answers 2xx or 503 with PostgREST's body (PGRST000 / PGRST001 / 57P01),
 * each request within a bound; the gateway reconnects by itself; a Realtime channel
 * joined before the restart keeps receiving (exactly once), and a channel whose join
 * was refused during the outage is rejoined by realtime-js and receives what is
 * committed after its rejoin.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import WebSocket from 'ws'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig, type StackConfig } from '../../scripts/local-stack/config.ts'
import { bootstrap } from '../../scripts/local-stack/migrate.ts'
import { startPostgres, type PgHandle } from '../../scripts/local-stack/postgres.ts'
import { closeContext, createContext, type GatewayContext } from '../../scripts/local-stack/gateway/context.ts'
import { createGateway, guardDriverRejections } from '../../scripts/local-stack/gateway/server.ts'

/**
 * No request may take longer than this, outage included. Generous for a busy shared
 * machine; a request stuck on a dead connection (the failure this guards against)
 * would wait for the HTTP client's own abort below.
 */
const BOUND_MS = 10_000
const CLIENTS = 24
const DOWN_MS = 3_000

/** PostgREST's bodies for a database that cannot be reached (Error.hs, hasql's UsageError). */
const OUTAGE_BODIES: Record<string, string> = {
  PGRST000: 'Database connection error. Retrying the connection.',
  PGRST001: 'Database client error. Retrying the connection.',
  PGRST002: 'Could not query the database for the schema cache. Retrying.',
  '57P01': 'terminating connection due to administrator command',
}

const SETUP = `
create table public.restart_items (id bigserial primary key, label text not null, n int);
alter table public.restart_items enable row level security;
create policy restart_items_read on public.restart_items for select to anon using (true);
create policy restart_items_write on public.restart_items for insert to anon with check (true);
grant select, insert on public.restart_items to anon;
grant usage on sequence public.restart_items_id_seq to anon;
alter publication supabase_realtime add table public.restart_items;
`

let dir = ''
let cfg: StackConfig
let pg: PgHandle
let ctx: GatewayContext
let gateway: ReturnType<typeof createGateway>
const clients: SupabaseClient[] = []
/** The gateway's log (without the access log), shown when an assertion fails. */
const gatewayLog: string[] = []
const logs = () => gatewayLog.slice(-40).join('\n')

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immo-ai-gwrestart-'))
  chmodSync(dir, 0o755) // the postgres system user must reach the cluster folder
  cfg = await resolveConfig({ mode: 'test', dataDir: join(dir, 'stack') })
  pg = await startPostgres({ dataDir: cfg.dataDir, port: cfg.ports.db, fast: true })
  const sql = postgres(cfg.dbUrl, { max: 1, onnotice: () => {} })
  try {
    await bootstrap(sql, { projectUrl: cfg.apiUrl, serviceRoleKey: cfg.keys.serviceRoleKey })
    await sql.unsafe(SETUP)
  } finally {
    await sql.end()
  }
  const log = (e: Record<string, unknown>) => {
    // Everything but the one-line-per-request access log.
    if (e.message) gatewayLog.push(`${new Date().toISOString()} ${JSON.stringify(e)}`)
  }
  guardDriverRejections(log)
  ctx = createContext(cfg, log)
  gateway = createGateway(ctx)
  await new Promise<void>((res) => gateway.server.listen(cfg.ports.gateway, '127.0.0.1', () => res()))
}, 120_000)

afterAll(async () => {
  for (const c of clients) c.realtime.disconnect()
  if (gateway) {
    gateway.server.closeAllConnections()
    await new Promise((r) => gateway.server.close(r))
    await gateway.close().catch(() => {})
    await closeContext(ctx).catch(() => {})
  }
  await pg?.stop().catch(() => {})
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 60_000)

interface Outcome {
  at: number
  ms: number
  method: string
  status: number | 'network-error' | 'aborted'
  code?: string
  message?: string
  error?: string
}

/** One REST request with plain fetch (supabase-js would retry 503s and hide them). */
async function call(method: 'GET' | 'POST', n: number): Promise<Outcome> {
  const at = Date.now()
  const headers: Record<string, string> = { apikey: cfg.keys.anonKey, authorization: `Bearer ${cfg.keys.anonKey}` }
  let url = `${cfg.apiUrl}/rest/v1/restart_items?select=id,label&order=id.desc&limit=5`
  let body: string | undefined
  if (method === 'POST') {
    url = `${cfg.apiUrl}/rest/v1/restart_items`
    headers['content-type'] = 'application/json'
    headers.prefer = 'return=minimal'
    body = JSON.stringify({ label: 'load', n })
  }
  try {
    const r = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(BOUND_MS * 3) })
    const text = await r.text()
    const o: Outcome = { at, ms: Date.now() - at, method, status: r.status }
    if (r.status >= 400) {
      try {
        const j = JSON.parse(text)
        o.code = j.code
        o.message = j.message
      } catch {
        o.message = text.slice(0, 200)
      }
    }
    return o
  } catch (e) {
    const aborted = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError'
    return { at, ms: Date.now() - at, method, status: aborted ? 'aborted' : 'network-error', error: String((e as Error).message) }
  }
}

function rtClient(): SupabaseClient {
  const c = createClient(cfg.apiUrl, cfg.keys.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  })
  clients.push(c)
  return c
}

/** Every status the channel's subscribe callback reports, and a wait for one of them. */
function watchSubscribe(ch: RealtimeChannel) {
  const seen: { status: string; reason?: string }[] = []
  const waiters: { status: string; resolve: () => void }[] = []
  ch.subscribe((status, err) => {
    seen.push({ status, reason: err?.message })
    for (const w of waiters.filter((x) => x.status === status)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  })
  return {
    seen,
    until(status: string, timeoutMs: number): Promise<void> {
      if (seen.some((s) => s.status === status)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${status} within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`)), timeoutMs)
        waiters.push({ status, resolve: () => (clearTimeout(t), resolve()) })
      })
    },
  }
}

async function waitUntil(what: string | (() => string), pred: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('Postgres restarted under load', () => {
  it('REST answers 2xx or 503 with a PostgREST body within the bound, recovers by itself; Realtime keeps or rejoins its subscriptions', { timeout: 180_000 }, async () => {
    const marker = `after-${Date.now()}`
    const spec = { event: 'INSERT', schema: 'public', table: 'restart_items', filter: `label=eq.${marker}` } as const

    // A channel joined before the restart.
    const kept: any[] = []
    const keptCh = rtClient().channel('restart-kept').on('postgres_changes', spec, (e) => kept.push(e))
    await watchSubscribe(keptCh).until('SUBSCRIBED', 20_000)

    // Load: CLIENTS loops of reads and inserts until told to stop.
    const outcomes: Outcome[] = []
    let stop = false
    let n = 0
    const loops = Array.from({ length: CLIENTS }, async (_, i) => {
      while (!stop) {
        const o = await call(i % 3 === 0 ? 'POST' : 'GET', n++)
        outcomes.push(o)
        // An answer in the outage comes back at once: pace the loop a little so it does not spin.
        if (o.status !== 200 && o.status !== 201) await new Promise((r) => setTimeout(r, 20))
      }
    })
    await waitUntil(() => `the load to get answers (last: ${JSON.stringify(outcomes.slice(-3))})`, () => outcomes.filter((o) => o.status === 200).length >= CLIENTS, 30_000)

    // Down: a fast shutdown (sessions terminated), then nothing listening for a while.
    const downAt = Date.now()
    await pg.stop()
    // A join while the database is down: refused, then retried by realtime-js on its own.
    const rejoined: any[] = []
    const rejoinCh = rtClient().channel('restart-rejoin').on('postgres_changes', spec, (e) => rejoined.push(e))
    const rejoin = watchSubscribe(rejoinCh)
    await rejoin.until('CHANNEL_ERROR', 20_000)
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downAt))))
    pg = await startPostgres({ dataDir: cfg.dataDir, port: cfg.ports.db, fast: true })
    const upAt = Date.now()

    // Recovery with no help: reads and writes answer normally again.
    await waitUntil('REST to answer 200 and 201 again', () =>
      outcomes.some((o) => o.at > upAt && o.method === 'GET' && o.status === 200) &&
      outcomes.some((o) => o.at > upAt && o.method === 'POST' && o.status === 201), 30_000)
    await new Promise((r) => setTimeout(r, 1000))
    const settledAt = Date.now()
    await new Promise((r) => setTimeout(r, 1500))
    stop = true
    await Promise.all(loops)

    const bad = outcomes.filter((o) => !(typeof o.status === 'number' && ((o.status >= 200 && o.status < 300) || o.status === 503)))
    expect(bad.slice(0, 5), `${bad.length} answers neither 2xx nor 503; gateway log:\n${logs()}`).toEqual([])
    const unavailable = outcomes.filter((o) => o.status === 503)
    expect(unavailable.length, 'the load met the outage').toBeGreaterThan(0)
    for (const o of unavailable) {
      expect(Object.keys(OUTAGE_BODIES), JSON.stringify(o)).toContain(o.code)
      expect(o.message, JSON.stringify(o)).toBe(OUTAGE_BODIES[o.code!])
    }
    const slowest = outcomes.reduce((a, o) => (o.ms > a.ms ? o : a))
    expect(slowest.ms, JSON.stringify(slowest)).toBeLessThan(BOUND_MS)
    // Once recovered, everything is normal again.
    const late = outcomes.filter((o) => o.at >= settledAt)
    expect(late.length).toBeGreaterThan(0)
    expect(late.filter((o) => o.status !== 200 && o.status !== 201)).toEqual([])
    console.log(`[restart] ${outcomes.length} requests, ${unavailable.length} × 503 (${[...new Set(unavailable.map((o) => o.code))].join(', ')}), slowest ${slowest.ms} ms, down ${upAt - downAt} ms`)

    // Realtime: the refused join is retried by the client and succeeds once the database is back…
    await rejoin.until('SUBSCRIBED', 40_000).catch((e) => { throw new Error(`${(e as Error).message}; gateway log:\n${logs()}`) })
    expect(rejoin.seen[0]).toMatchObject({ status: 'CHANNEL_ERROR' })
    expect(rejoin.seen.find((s) => s.status === 'CHANNEL_ERROR')!.reason).toMatch(/unable to connect to the project database/)
    // …and a row committed after the rejoin reaches both channels, once each.
    const r = await fetch(`${cfg.apiUrl}/rest/v1/restart_items`, {
      method: 'POST',
      headers: { apikey: cfg.keys.anonKey, authorization: `Bearer ${cfg.keys.anonKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: marker, n: 1 }),
    })
    expect(r.status).toBe(201)
    await waitUntil(() => `the insert on both channels (kept ${kept.length}, rejoined ${rejoined.length}; subscribe statuses ${JSON.stringify(rejoin.seen)}; gateway log:\n${logs()})`,
      () => kept.length >= 1 && rejoined.length >= 1, 15_000)
    await new Promise((r2) => setTimeout(r2, 500))
    expect(kept.map((e) => e.new.label)).toEqual([marker])
    expect(rejoined.map((e) => e.new.label)).toEqual([marker])
  })
})
