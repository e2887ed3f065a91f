/**
 * Realtime fan-out under RLS.
 *
 *   npx tsx bench/realtime.ts [--rate=1000] [--seconds=10] [--subscribers=200] [--tenants=20] [--filter=tenant|none]
 *
 * Starts its own test-mode stack (throwaway cluster, gateway in this process),
 * creates an RLS table published to `supabase_realtime` (members see their
 * tenant's rows through auth.uid()), opens `subscribers` sockets (vsn 2.0.0),
 * each a distinct user spread over `tenants`, subscribed to INSERTs — filtered
 * by their tenant (`--filter=tenant`, the app's pattern) or to the whole table
 * (`--filter=none`, every change RLS-checked for every user). Then it inserts
 * `rate` single-row transactions per second for `seconds`, each row stamped
 * with the time it was sent, and measures send-to-delivery latency at the
 * subscriber. Prints delivered/expected, p50/p95/p99/max and the achieved rate.
 */
import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import postgres from 'postgres'
import WebSocket from 'ws'
import { startStack } from '../scripts/local-stack/stack.ts'

const argv = (name: string, d: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d
const RATE = Number(argv('rate', '1000'))
const SECONDS = Number(argv('seconds', '10'))
const SUBSCRIBERS = Number(argv('subscribers', '200'))
const TENANTS = Number(argv('tenants', '20'))
const FILTER = argv('filter', 'tenant') as 'tenant' | 'none'

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-rt-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  const sql = postgres(stack.cfg.dbUrl, { max: 8, onnotice: () => {} })
  const sockets: WebSocket[] = []
  try {
    await sql.unsafe(`
      create schema bench_rt;
      grant usage on schema bench_rt to anon, authenticated, service_role;
      create table bench_rt.members (tenant_id uuid not null, user_id uuid not null, primary key (user_id, tenant_id));
      create table bench_rt.events (id bigserial primary key, tenant_id uuid not null, sent_ms bigint not null, body text);
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

    const secret = new TextEncoder().encode(stack.cfg.keys.jwtSecret)
    const now = Math.floor(Date.now() / 1000)
    const latencies: number[] = []
    let delivered = 0
    const wsUrl = `${stack.cfg.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?vsn=2.0.0&apikey=${stack.cfg.keys.anonKey}`
    await Promise.all(
      users.map(async (u, i) => {
        const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(u.id)
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .sign(secret)
        const ws = new WebSocket(wsUrl)
        sockets.push(ws)
        await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)))
        const joined = new Promise<void>((res) => {
          ws.on('message', (d) => {
            const text = d.toString()
            if (text.includes('"postgres_changes",{"ids"')) {
              const sent = Number(/"sent_ms":(\d+)/.exec(text)?.[1])
              latencies.push(Date.now() - sent)
              delivered++
            } else if (text.includes('"phx_reply"')) res()
          })
        })
        const pc = { event: 'INSERT', schema: 'bench_rt', table: 'events', ...(FILTER === 'tenant' ? { filter: `tenant_id=eq.${u.tenant}` } : {}) }
        ws.send(JSON.stringify([String(i), String(i), `realtime:bench-${i}`, 'phx_join', { config: { postgres_changes: [pc] }, access_token: token }]))
        await joined
      }),
    )
    console.log(`${SUBSCRIBERS} subscribers joined (${TENANTS} tenants, filter=${FILTER}); inserting ${RATE}/s for ${SECONDS} s…`)

    let sent = 0
    let expected = 0
    const started = Date.now()
    const tickMs = 10
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
      await new Promise((r) => setTimeout(r, tickMs))
    }
    await Promise.all(inflight)
    const sendSeconds = (Date.now() - started) / 1000
    const drainDeadline = Date.now() + 60_000
    while (delivered < expected && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100))
    const total = (Date.now() - started) / 1000
    console.log(`inserted ${sent} rows in ${sendSeconds.toFixed(1)} s (${(sent / sendSeconds).toFixed(0)}/s)`)
    console.log(`delivered ${delivered}/${expected} pushes in ${total.toFixed(1)} s (${(delivered / total).toFixed(0)} pushes/s)`)
    console.log(
      `latency send→delivery ms: p50 ${pct(latencies, 50)}, p95 ${pct(latencies, 95)}, p99 ${pct(latencies, 99)}, max ${pct(latencies, 100)}`,
    )
  } finally {
    for (const ws of sockets) ws.terminate()
    await sql.end()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
