/**
 * Realtime fan-out under RLS, against the physical limit of the same machine.
 *
 *   npx tsx bench/realtime.ts [--rate=1000] [--seconds=10] [--subscribers=200] [--tenants=20]
 *                             [--filter=tenant|none] [--rounds=2] [--mode=both|gateway|bare]
 *                             [--commit=sync|async]
 *
 * The stack (Postgres + gateway) runs in a child process, so the 200 client
 * sockets and the inserter (this process) never share the gateway's event loop.
 * It creates an RLS table published to `supabase_realtime` (members see their
 * tenant's rows through auth.uid()), opens `subscribers` sockets (vsn 2.0.0),
 * each a distinct user spread over `tenants`, subscribed to INSERTs — filtered
 * by their tenant (`--filter=tenant`, the app's pattern) or to the whole table
 * (`--filter=none`, every change RLS-checked for every user). Then it inserts
 * `rate` single-row transactions per second for `seconds`, each row stamped
 * with the time it was sent by the client (`sent_ms`) and the time Postgres
 * executed the insert (`db_ms`, clock_timestamp()), and measures at the
 * subscriber insert→delivery latency (from `db_ms`: what Realtime adds) and
 * client send→delivery (also counts queueing in the inserter's pool).
 *
 * The limit (`bare`): another child process reads the same publication with
 * the gateway's own pgoutput reader on its own slot and fans each row out as
 * one pre-serialised frame to the sockets of the row's tenant (to everyone
 * with `--filter=none`) over a plain `ws` server — no RLS check, no typing, no
 * per-subscriber work. Both slots stream during every round; rounds
 * alternate gateway and bare runs, so machine noise hits both; ratios are
 * gateway / bare.
 *
 * `--commit=sync` (default) makes the inserter's sessions commit with
 * `synchronous_commit = on`, as on Supabase. The test-mode cluster runs with
 * `synchronous_commit = off`, where a commit's WAL is flushed — and only then
 * read by walsenders — on the WAL writer's cycle (up to 3 × wal_writer_delay,
 * 600 ms): `--commit=async` keeps that, and its latency is then mostly the
 * WAL writer's, in both paths.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import postgres from 'postgres'
import WebSocket, { WebSocketServer } from 'ws'
import { percentile as pct } from './lib/stats.ts'

const argv = (name: string, d: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d
const RATE = Number(argv('rate', '1000'))
const SECONDS = Number(argv('seconds', '10'))
const SUBSCRIBERS = Number(argv('subscribers', '200'))
const TENANTS = Number(argv('tenants', '20'))
const FILTER = argv('filter', 'tenant') as 'tenant' | 'none'
const ROUNDS = Number(argv('rounds', '2'))
const MODE = argv('mode', 'both') as 'both' | 'gateway' | 'bare'
const COMMIT = argv('commit', 'sync') as 'sync' | 'async'


// ------------------------------------------------------------------ children

/** Child: a test-mode stack; prints its config as one JSON line, runs until stdin closes. */
async function serveStack(): Promise<void> {
  const { startStack } = await import('../scripts/local-stack/stack.ts')
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-rt-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  process.stdout.write(JSON.stringify({ cfg: stack.cfg }) + '\n')
  const stop = async () => {
    await stack.stop().catch(() => {})
    rmSync(tmp, { recursive: true, force: true })
    process.exit(0)
  }
  process.stdin.on('end', stop)
  process.stdin.resume()
}

/**
 * Child: the physical limit. The gateway's pgoutput reader on its own slot and
 * a bare `ws` server; each inserted row becomes one frame, serialised once and
 * written to the sockets of its tenant. Prints its URL, runs until stdin closes.
 */
async function serveBare(dbUrl: string): Promise<void> {
  const { ReplicationStream } = await import('../scripts/local-stack/gateway/realtime/replication.ts')
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const byTenant = new Map<string, Set<WebSocket>>()
  wss.on('connection', (ws, req) => {
    const tenant = new URL(req.url ?? '/', 'http://x').searchParams.get('tenant') ?? ''
    const set = byTenant.get(tenant) ?? new Set()
    byTenant.set(tenant, set)
    set.add(ws)
    ws.on('close', () => set.delete(ws))
    ws.send('ready')
  })
  const corked = new Set<{ cork(): void; uncork(): void }>()
  let flush: NodeJS.Immediate | undefined
  const stream = new ReplicationStream({
    url: dbUrl,
    publication: 'supabase_realtime',
    slot: `bench_bare_${process.pid}`,
    applicationName: 'bench_bare',
    log: () => {},
    onTransaction(tx) {
      for (const c of tx.changes) {
        if (c.relation.table !== 'events' || !c.new) continue
        const cols = c.relation.columns
        const v = (name: string) => c.new![cols.findIndex((x) => x.name === name)]
        const frame = `[null,null,"realtime:bare","postgres_changes",{"ids":[1],"data":{"type":"INSERT","record":{"tenant_id":"${v('tenant_id')}","sent_ms":${v('sent_ms')},"db_ms":${v('db_ms')}}}}]`
        for (const ws of byTenant.get(String(v('tenant_id'))) ?? []) {
          // Like the gateway: corked until the end of this tick, one write per socket.
          const sock = (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket
          if (!corked.has(sock)) {
            sock.cork()
            corked.add(sock)
          }
          ws.send(frame)
        }
        if (corked.size && !flush) flush = setImmediate(() => {
          for (const c of corked) c.uncork()
          corked.clear()
          flush = undefined
        })
      }
    },
  })
  stream.start()
  await stream.ready(10_000)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address() as { port: number }
  process.stdout.write(JSON.stringify({ url: `ws://127.0.0.1:${addr.port}` }) + '\n')
  const stop = async () => {
    for (const ws of wss.clients) ws.terminate()
    await stream.stop().catch(() => {})
    process.exit(0)
  }
  process.stdin.on('end', stop)
  process.stdin.resume()
}

function startChild<T>(args: string[]): Promise<{ child: ChildProcess; info: T }> {
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const child = spawn(process.execPath, [...extra, ...process.execArgv, process.argv[1]!, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((res, rej) => {
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        try {
          res({ child, info: JSON.parse(buf.slice(0, nl)) as T })
        } catch (e) {
          rej(e)
        }
      }
    })
    child.once('exit', (code) => rej(new Error(`child ${args[0]} exited (${code})`)))
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.stdin!.end()
  await new Promise((r) => child.once('exit', r))
}

// ------------------------------------------------------------------ driver

interface RunResult {
  sent: number
  expected: number
  delivered: number
  sendRate: number
  p50: number
  p95: number
  p99: number
  max: number
  /** From the client's send (includes queueing in the inserter's pool). */
  sendP50: number
  sendP95: number
}

async function run(
  sql: postgres.Sql,
  users: { id: string; tenant: string }[],
  tenants: string[],
  perTenant: Map<string, number>,
  connect: (u: { id: string; tenant: string }, i: number, onMessage: (text: string) => void) => Promise<WebSocket>,
): Promise<RunResult> {
  const latencies: number[] = []
  const fromSend: number[] = []
  let delivered = 0
  const onMessage = (text: string) => {
    if (text.includes('"postgres_changes",{"ids"')) {
      const now = Date.now()
      latencies.push(now - Number(/"db_ms":(\d+)/.exec(text)?.[1]))
      fromSend.push(now - Number(/"sent_ms":(\d+)/.exec(text)?.[1]))
      delivered++
    }
  }
  const sockets = await Promise.all(users.map((u, i) => connect(u, i, onMessage)))
  try {
    let sent = 0
    let expected = 0
    const started = Date.now()
    const inflight: Promise<unknown>[] = []
    while (Date.now() - started < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - sent
      for (let k = 0; k < due; k++) {
        const tenant = tenants[sent % TENANTS]!
        expected += perTenant.get(tenant) ?? 0
        sent++
        inflight.push(sql`insert into bench_rt.events (tenant_id, sent_ms, body) values (${tenant}, ${Date.now()}, 'x')`)
      }
      if (inflight.length > 2000) await Promise.all(inflight.splice(0))
      await new Promise((r) => setTimeout(r, 10))
    }
    await Promise.all(inflight)
    const sendSeconds = (Date.now() - started) / 1000
    const drainDeadline = Date.now() + 60_000
    while (delivered < expected && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300)) // anything extra (a leak) would arrive now
    return {
      sent, expected, delivered, sendRate: sent / sendSeconds,
      p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), max: pct(latencies, 100),
      sendP50: pct(fromSend, 50), sendP95: pct(fromSend, 95),
    }
  } finally {
    for (const ws of sockets) ws.terminate()
  }
}

const show = (name: string, r: RunResult) =>
  console.log(`${name.padEnd(8)} inserted ${r.sent} (${r.sendRate.toFixed(0)}/s), delivered ${r.delivered}/${r.expected}; ` +
    `insert→delivery ms p50 ${r.p50} p95 ${r.p95} p99 ${r.p99} max ${r.max}; client send→delivery p50 ${r.sendP50} p95 ${r.sendP95}`)

async function main() {
  const { child, info } = await startChild<{ cfg: { dbUrl: string; apiUrl: string; keys: { jwtSecret: string; anonKey: string } } }>(['--serve-stack'])
  const cfg = info.cfg
  const sql = postgres(cfg.dbUrl, { max: 16, onnotice: () => {}, connection: { synchronous_commit: COMMIT === 'sync' ? 'on' : 'off' } })
  let bare: { child: ChildProcess; info: { url: string } } | undefined
  try {
    await sql.unsafe(`
      create schema bench_rt;
      grant usage on schema bench_rt to anon, authenticated, service_role;
      create table bench_rt.members (tenant_id uuid not null, user_id uuid not null, primary key (user_id, tenant_id));
      create table bench_rt.events (id bigserial primary key, tenant_id uuid not null, sent_ms bigint not null,
        db_ms bigint not null default (extract(epoch from clock_timestamp()) * 1000)::bigint, body text);
      create index on bench_rt.events (tenant_id);
      alter table bench_rt.events enable row level security;
      create policy events_select on bench_rt.events for select to authenticated
        using (tenant_id in (select m.tenant_id from bench_rt.members m where m.user_id = (select auth.uid())));
      grant select on all tables in schema bench_rt to authenticated;
      alter publication supabase_realtime add table bench_rt.events;`)
    const tenants = Array.from({ length: TENANTS }, () => randomUUID())
    const users = Array.from({ length: SUBSCRIBERS }, (_, i) => ({ id: randomUUID(), tenant: tenants[i % TENANTS]! }))
    await sql`insert into bench_rt.members ${sql(users.map((u) => ({ tenant_id: u.tenant, user_id: u.id })))}`
    const perTenant = new Map<string, number>()
    for (const u of users) perTenant.set(u.tenant, (perTenant.get(u.tenant) ?? 0) + 1)
    // With --filter=none every subscriber waits for every row, but RLS still shows each only its tenant's.
    const secret = new TextEncoder().encode(cfg.keys.jwtSecret)
    const now = Math.floor(Date.now() / 1000)
    const tokens = await Promise.all(users.map((u) => new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(u.id).setIssuedAt(now).setExpirationTime(now + 3600).sign(secret)))
    const wsUrl = `${cfg.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?vsn=2.0.0&apikey=${cfg.keys.anonKey}`

    const viaGateway = (u: { id: string; tenant: string }, i: number, onMessage: (t: string) => void) => new Promise<WebSocket>((res, rej) => {
      const ws = new WebSocket(wsUrl)
      ws.once('error', rej)
      ws.once('open', () => {
        const pc = { event: 'INSERT', schema: 'bench_rt', table: 'events', ...(FILTER === 'tenant' ? { filter: `tenant_id=eq.${u.tenant}` } : {}) }
        ws.send(JSON.stringify([String(i), String(i), `realtime:bench-${i}`, 'phx_join', { config: { postgres_changes: [pc] }, access_token: tokens[i] }]))
      })
      ws.on('message', (d) => {
        const text = d.toString()
        if (text.includes('"phx_reply"')) res(ws)
        else onMessage(text)
      })
    })
    const viaBare = (u: { id: string; tenant: string }, _i: number, onMessage: (t: string) => void) => new Promise<WebSocket>((res, rej) => {
      // The bare server has no RLS: with --filter=none it still sends each row only to its tenant's sockets,
      // which is what the gateway delivers after its RLS check.
      const ws = new WebSocket(`${bare!.info.url}/?tenant=${u.tenant}`)
      ws.once('error', rej)
      ws.on('message', (d) => {
        const text = d.toString()
        if (text === 'ready') res(ws)
        else onMessage(text)
      })
    })

    if (MODE !== 'gateway') bare = await startChild<{ url: string }>(['--serve-bare', cfg.dbUrl])
    console.log(`${SUBSCRIBERS} subscribers (${TENANTS} tenants, filter=${FILTER}), ${RATE} single-row inserts/s for ${SECONDS} s (${COMMIT} commit), ${ROUNDS} round(s)`)
    const results: { gateway: RunResult[]; bare: RunResult[] } = { gateway: [], bare: [] }
    for (let round = 1; round <= ROUNDS; round++) {
      if (MODE !== 'bare') {
        const r = await run(sql, users, tenants, perTenant, viaGateway)
        results.gateway.push(r)
        show(`gateway`, r)
      }
      if (MODE !== 'gateway') {
        const r = await run(sql, users, tenants, perTenant, viaBare)
        results.bare.push(r)
        show(`bare`, r)
      }
    }
    const med = (rs: RunResult[], k: keyof RunResult) => pct(rs.map((r) => r[k]), 50)
    const range = (rs: RunResult[], k: keyof RunResult) => `${Math.min(...rs.map((r) => r[k]))}–${Math.max(...rs.map((r) => r[k]))}`
    console.log('\nsummary (median of rounds, min–max):')
    for (const [name, rs] of Object.entries(results)) {
      if (!rs.length) continue
      const lost = rs.reduce((a, r) => a + (r.expected - Math.min(r.delivered, r.expected)), 0)
      const extra = rs.reduce((a, r) => a + Math.max(0, r.delivered - r.expected), 0)
      console.log(`${name.padEnd(8)} p50 ${med(rs, 'p50')} (${range(rs, 'p50')}) ms, p95 ${med(rs, 'p95')} (${range(rs, 'p95')}) ms, p99 ${med(rs, 'p99')} ms; missing ${lost}, unexpected ${extra}`)
    }
    if (results.gateway.length && results.bare.length) {
      console.log(`ratio gateway/bare: p50 ${(med(results.gateway, 'p50') / med(results.bare, 'p50')).toFixed(2)}x, p95 ${(med(results.gateway, 'p95') / med(results.bare, 'p95')).toFixed(2)}x`)
    }
  } finally {
    if (bare) await stopChild(bare.child)
    await sql.end()
    await stopChild(child)
  }
}

if (process.argv.includes('--serve-stack')) serveStack().catch((e) => (console.error(e), process.exit(1)))
else if (process.argv.includes('--serve-bare')) serveBare(process.argv[process.argv.indexOf('--serve-bare') + 1]!).catch((e) => (console.error(e), process.exit(1)))
else main().catch((e) => (console.error(e), process.exit(1)))
