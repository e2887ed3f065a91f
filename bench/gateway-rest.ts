/**
 * REST gateway overhead: the same work through /rest/v1 (HTTP, JWT check,
 * role switch, GUCs, JSON built by Postgres) and directly with postgres.js
 * (the physical limit: same login role, same role switch, same SQL shape).
 *
 *   npx tsx bench/gateway-rest.ts [--iterations=400] [--seconds=10] [--rounds=3] [--connections=50]
 *
 * The stack (Postgres + gateway) runs in a child process, as it does for the
 * app: the load generator must not share the gateway's event loop, or it
 * measures itself. Each round runs, for each case, the gateway and the direct
 * path back to back (so machine noise hits both), then a throughput run of the
 * list case with `connections` concurrent clients against the gateway
 * (autocannon) and against Postgres (postgres.js, `connections` loops over a
 * pool as large as the gateway's). Ratios are gateway / direct.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { percentile as pct } from './lib/stats.ts'

const argv = (name: string, d: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d
const ITER = Number(argv('iterations', '400'))
const SECONDS = Number(argv('seconds', '10'))
const ROUNDS = Number(argv('rounds', '3'))
const CONNECTIONS = Number(argv('connections', '50'))
/** The gateway's authenticator pool size (scripts/local-stack/gateway/context.ts). */
const GATEWAY_POOL = Number(argv('pool', process.env.GATEWAY_API_POOL ?? '20'))


async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 30; i++) await fn() // warm-up
  const out: number[] = []
  for (let i = 0; i < ITER; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

/** Child mode: start a test-mode stack, print its config as one JSON line, run until stdin closes. */
async function serveStack(): Promise<void> {
  const { startStack } = await import('../scripts/local-stack/stack.ts')
  const tmp = mkdtempSync(join(tmpdir(), 'bench-rest-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, log: () => {} })
  process.stdout.write(JSON.stringify({ cfg: stack.cfg }) + '\n')
  const stop = async () => {
    await stack.stop().catch(() => {})
    rmSync(tmp, { recursive: true, force: true })
    process.exit(0)
  }
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()
  process.on('SIGTERM', stop)
}

function startChild(): Promise<{ child: ChildProcess; cfg: { apiUrl: string; dbUrl: string; keys: { serviceRoleKey: string } } }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--serve-stack'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env },
  })
  return new Promise((res, rej) => {
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        try {
          res({ child, cfg: JSON.parse(buf.slice(0, nl)).cfg })
        } catch (e) {
          rej(e)
        }
      }
    })
    child.once('exit', (code) => rej(new Error(`stack child exited (${code})`)))
  })
}

/** A lean keep-alive HTTP client (fetch adds ~0.3 ms of client-side work per call). */
function httpClient(base: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const u = new URL(base)
  return (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; text: string }>((res, rej) => {
      const req = request({ host: u.hostname, port: u.port, method, path, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers, agent }, (r) => {
        const chunks: Buffer[] = []
        r.on('data', (c: Buffer) => chunks.push(c))
        r.on('end', () => res({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
        r.on('error', rej)
      })
      req.on('error', rej)
      req.end(body)
    })
}

async function main() {
  const { child, cfg } = await startChild()
  const su = postgres(cfg.dbUrl, { max: 2, onnotice: () => {} })
  // The direct path uses the same login role and role switch a backend would need.
  const direct = postgres(cfg.dbUrl.replace('postgres@', 'authenticator@'), { max: GATEWAY_POOL, onnotice: () => {} })
  try {
    await su.unsafe(`
      create schema if not exists conformance;
      grant usage on schema conformance to anon, authenticated, service_role;
      drop table if exists conformance.bench_items, conformance.bench_owners cascade;
      create table conformance.bench_owners (id int primary key, name text not null);
      create table conformance.bench_items (
        id bigint generated by default as identity primary key, owner_id int references conformance.bench_owners(id),
        title text not null, price numeric not null default 0, data jsonb, created_at timestamptz not null default now());
      insert into conformance.bench_owners select i, 'owner ' || i from generate_series(1, 20) i;
      insert into conformance.bench_items (owner_id, title, price, data)
        select 1 + i % 20, 'item ' || i, i * 1.5, jsonb_build_object('k', i) from generate_series(1, 5000) i;
      create or replace function conformance.bench_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
      grant all on all tables in schema conformance to service_role;
      grant usage on all sequences in schema conformance to service_role;
      grant execute on all functions in schema conformance to service_role;
      analyze conformance.bench_items;
    `)
    await su`notify pgrst, 'reload schema'`
    const base = `${cfg.apiUrl}/rest/v1`
    const key = cfg.keys.serviceRoleKey
    const h = { apikey: key, authorization: `Bearer ${key}`, 'accept-profile': 'conformance', 'content-profile': 'conformance', 'content-type': 'application/json' }
    const listPath = `/rest/v1/bench_items?select=id,title,price,owner:bench_owners(name)&order=id&limit=50`
    const listUrl = `${cfg.apiUrl}${listPath}`
    for (let i = 0; i < 100; i++) {
      if ((await fetch(listUrl, { headers: h })).status === 200) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const http = httpClient(base)

    const claims = JSON.stringify({ role: 'service_role' })
    // What the gateway must do at least: one transaction, role + claims GUCs, the statement.
    const asRole = <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
      direct.begin(async (tx) => {
        await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${claims}, true)`
        return fn(tx)
      })
    const listSql = (tx: postgres.TransactionSql) => tx`select coalesce(json_agg(_t), '[]')::text as body from (
              select i.id, i.title, i.price, (select row_to_json(o) from (select o.name from conformance.bench_owners o where o.id = i.owner_id) o) as owner
              from conformance.bench_items i order by i.id limit 50) _t`
    const ok = (want: number) => (r: { status: number; text: string }) => {
      if (r.status !== want) throw new Error(`${r.status} ${r.text}`)
    }

    const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['list 50 rows + to-one embed',
        async () => ok(200)(await http('GET', listPath, h)),
        () => asRole(listSql)],
      ['insert 1 row, return=representation',
        async () => ok(201)(await http('POST', '/rest/v1/bench_items?select=*', { ...h, prefer: 'return=representation' }, JSON.stringify({ owner_id: 1, title: 'bench', price: 1 }))),
        () => asRole((tx) => tx`with m as (insert into conformance.bench_items (owner_id, title, price) values (1, 'bench', 1) returning *) select coalesce(json_agg(m), '[]')::text from m`)],
      ['rpc add(a,b)',
        async () => ok(200)(await http('POST', '/rest/v1/rpc/bench_add', h, '{"a":1,"b":2}')),
        () => asRole((tx) => tx`select to_json(conformance.bench_add(1, 2))::text`)],
    ]

    const lat = new Map<string, { g50: number[]; g95: number[]; d50: number[]; d95: number[] }>()
    const thr: { gw: number; pg: number; gwP50: number; gwP99: number; non2xx: number; errors: number }[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`\nround ${round}/${ROUNDS}: ${ITER} sequential requests per case (ms)`)
      console.log('case                                  gw p50   gw p95  pg p50   pg p95  ratio p50  overhead p50/p95')
      for (const [name, gw, pg] of cases) {
        const g = await time(gw)
        const d = await time(pg)
        const e = lat.get(name) ?? { g50: [], g95: [], d50: [], d95: [] }
        e.g50.push(pct(g, 50)); e.g95.push(pct(g, 95)); e.d50.push(pct(d, 50)); e.d95.push(pct(d, 95))
        lat.set(name, e)
        console.log(`${name.padEnd(36)} ${pct(g, 50).toFixed(2).padStart(7)} ${pct(g, 95).toFixed(2).padStart(8)} ${pct(d, 50).toFixed(2).padStart(7)} ${pct(d, 95).toFixed(2).padStart(8)} ${(pct(g, 50) / pct(d, 50)).toFixed(2).padStart(9)}x  ${(pct(g, 50) - pct(d, 50)).toFixed(2)}/${(pct(g, 95) - pct(d, 95)).toFixed(2)}`)
      }

      const result = await autocannon({ url: listUrl, headers: h, connections: CONNECTIONS, duration: SECONDS })
      // Direct: `connections` concurrent loops over a pool the size of the gateway's.
      let pgDone = 0
      const until = performance.now() + SECONDS * 1000
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          await asRole(listSql)
          pgDone++
        }
      }))
      const pgRate = pgDone / SECONDS
      thr.push({ gw: result.requests.average, pg: pgRate, gwP50: result.latency.p50, gwP99: result.latency.p99, non2xx: result.non2xx, errors: result.errors })
      console.log(`throughput, list case, ${CONNECTIONS} concurrent clients, ${SECONDS} s: gateway ${result.requests.average.toFixed(0)} req/s ` +
        `(p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}); ` +
        `direct postgres.js (pool ${GATEWAY_POOL}) ${pgRate.toFixed(0)} tx/s; ratio ${(result.requests.average / pgRate).toFixed(2)}`)
    }

    const med = (xs: number[]) => pct(xs, 50)
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
    console.log(`\nsummary over ${ROUNDS} round(s): median of the per-round percentiles (min–max across rounds)`)
    for (const [name, e] of lat) {
      console.log(`${name.padEnd(36)} gw p50 ${med(e.g50).toFixed(2)} (${spread(e.g50)})  p95 ${med(e.g95).toFixed(2)} (${spread(e.g95)}) | pg p50 ${med(e.d50).toFixed(2)} p95 ${med(e.d95).toFixed(2)} | ` +
        `ratio p50 ${(med(e.g50) / med(e.d50)).toFixed(2)}x, overhead p50 ${(med(e.g50) - med(e.d50)).toFixed(2)} ms, p95 ${(med(e.g95) - med(e.d95)).toFixed(2)} ms`)
    }
    const gws = thr.map((t) => t.gw)
    const pgs = thr.map((t) => t.pg)
    console.log(`throughput gateway ${med(gws).toFixed(0)} req/s (${Math.min(...gws).toFixed(0)}–${Math.max(...gws).toFixed(0)}), ` +
      `direct ${med(pgs).toFixed(0)} tx/s (${Math.min(...pgs).toFixed(0)}–${Math.max(...pgs).toFixed(0)}), ratio ${(med(gws) / med(pgs)).toFixed(2)}; ` +
      `non-2xx ${thr.reduce((a, t) => a + t.non2xx, 0)}, errors ${thr.reduce((a, t) => a + t.errors, 0)}`)
  } finally {
    await direct.end()
    await su.end()
    child.stdin!.end()
    await new Promise((r) => child.once('exit', r))
  }
}

if (process.argv.includes('--serve-stack')) {
  serveStack().catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
