/**
 * What Row Level Security costs at scale.
 *
 *   npx tsx bench/db-rls.ts [--tenants=1000] [--contacts=1000000] [--iterations=200]
 *
 * Starts its own test-mode stack (throwaway cluster), loads the data with
 * scripts/generate-load-data.ts (one tenant with 200,000 contacts, one with
 * 50,000), then runs each query as an API request does — inside a transaction
 * with `set local role authenticated` and the member's request.jwt.claims, so
 * the policies apply — and the same SQL as the table owner (superuser, RLS
 * bypassed). Prints p50/p95 per side, the RLS/owner ratio, and EXPLAIN
 * (ANALYZE, BUFFERS) of the slowest query under RLS.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { startStack } from '../scripts/local-stack/stack.ts'
import { generateLoadData } from '../scripts/generate-load-data.ts'
import { percentile as pct } from './lib/stats.ts'

const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const TENANTS = arg('tenants', 1000)
const CONTACTS = arg('contacts', 1_000_000)
const ITER = arg('iterations', 200)

interface Case {
  name: string
  target: string
  /** SQL + params; run as owner, and as authenticated member (optionally different SQL, e.g. an RPC). */
  owner: () => [string, unknown[]]
  member?: () => [string, unknown[]]
}


async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  const sql = postgres(stack.cfg.dbUrl, { max: 2, onnotice: () => {} })
  try {
    console.log(`stack up; loading ${TENANTS} tenants / ${CONTACTS} contacts…`)
    const load = await generateLoadData(sql, { tenants: TENANTS, contacts: CONTACTS, big: 200_000, medium: 50_000, prefix: 'bench', log: (m) => console.log(`  ${m}`) })
    const t0 = Date.now()
    await sql`vacuum analyze`
    console.log(`load: ${load.seconds.toFixed(1)} s; vacuum analyze: ${((Date.now() - t0) / 1000).toFixed(1)} s`)

    const [bigT, medT] = load.tenantIds
    const [bigU] = load.ownerIds
    const medU = load.ownerIds[1]
    // A cursor in the middle of the big tenant's list, for a later keyset page.
    const [mid] = await sql`select last_activity_at, id from public.contacts where tenant_id = ${bigT} and deleted_at is null
                            order by last_activity_at desc, id desc offset 5000 limit 1`
    const fragments = ['martin', 'dubois', 'lefebvre', 'immobilier', 'orange.fr', 'neuilly', 'bern', 'laur', 'sci', 'moreau']
    let fi = 0
    const listSql = `select id, kind, first_name, last_name, company_name, email, phone, city, last_activity_at
                       from public.contacts where tenant_id = $1 and deleted_at is null
                      order by last_activity_at desc, id desc limit 50`
    const searchBody = `select c.* from public.contacts c
       where c.tenant_id = $1 and c.deleted_at is null and c.search_text like '%' || $2 || '%'
       order by c.last_activity_at desc, c.id desc limit 50`
    const cases: [Case, string, number][] = [
      [{ name: 'contacts page 1 (50, by last activity)', target: '200k tenant', owner: () => [listSql, [bigT]] }, bigU, 5],
      [{
        name: 'contacts keyset page (after 5,000)', target: '200k tenant',
        owner: () => [`select id, kind, first_name, last_name, company_name, email, phone, city, last_activity_at
                         from public.contacts where tenant_id = $1 and deleted_at is null
                          and (last_activity_at, id) < ($2, $3)
                        order by last_activity_at desc, id desc limit 50`, [bigT, mid.last_activity_at, mid.id]],
      }, bigU, 5],
      [{ name: 'exact count', target: '50k tenant', owner: () => [`select count(*) from public.contacts where tenant_id = $1 and deleted_at is null`, [medT]] }, medU, 10],
      [{ name: 'count via tenant_usage', target: '200k tenant', owner: () => [`select contacts_count from public.tenant_usage where tenant_id = $1`, [bigT]] }, bigU, 25],
      [{ name: 'exact count (for reference)', target: '200k tenant', owner: () => [`select count(*) from public.contacts where tenant_id = $1 and deleted_at is null`, [bigT]] }, bigU, Infinity],
      [{
        name: 'search fragment (trigram, search_contacts RPC)', target: '200k tenant',
        owner: () => [searchBody, [bigT, fragments[fi++ % fragments.length]]],
        member: () => [`select * from public.search_contacts($1, $2)`, [bigT, fragments[fi++ % fragments.length]]],
      }, bigU, 50],
      [{
        name: 'search fragment, plain ILIKE through RLS (no RPC)', target: '200k tenant',
        owner: () => [searchBody, [bigT, fragments[fi++ % fragments.length]]],
        member: () => [searchBody, [bigT, fragments[fi++ % fragments.length]]],
      }, bigU, Infinity],
    ]

    const conn = await sql.reserve()
    const time = async (user: string | null, q: () => [string, unknown[]]) => {
      const out: number[] = []
      for (let i = 0; i < ITER + 10; i++) {
        const [text, params] = q()
        await conn`begin`
        if (user) {
          await conn`select set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: 'authenticated', aud: 'authenticated' })}, true),
                            set_config('role', 'authenticated', true)`
        }
        const s = performance.now()
        await conn.unsafe(text, params as never[])
        const e = performance.now() - s
        await conn`rollback`
        if (i >= 10) out.push(e) // first 10 warm the cache
      }
      return out
    }
    const rows: string[][] = []
    let slowest: { c: Case; user: string; p95: number } | undefined
    const verdicts: string[] = []
    for (const [c, user, budget] of cases) {
      const own = await time(null, c.owner)
      const mem = await time(user, c.member ?? c.owner)
      const [o50, o95, m50, m95] = [pct(own, 50), pct(own, 95), pct(mem, 50), pct(mem, 95)]
      const ratio = m50 / o50
      rows.push([c.name, c.target, o50.toFixed(2), o95.toFixed(2), m50.toFixed(2), m95.toFixed(2), ratio.toFixed(2), Number.isFinite(budget) ? `${budget}` : '-'])
      if (Number.isFinite(budget)) verdicts.push(`${m95 <= budget ? 'PASS' : 'FAIL'} ${c.name}: RLS p95 ${m95.toFixed(2)} ms (budget ${budget} ms)`)
      if (c.name.startsWith('contacts page 1')) verdicts.push(`${ratio <= 1.3 ? 'PASS' : 'FAIL'} ${c.name}: RLS/owner p50 ratio ${ratio.toFixed(2)} (budget 1.3)`)
      if (Number.isFinite(budget) && (!slowest || m95 > slowest.p95)) slowest = { c, user, p95: m95 }
    }
    const head = ['query', 'data', 'owner p50', 'owner p95', 'RLS p50', 'RLS p95', 'RLS/owner p50', 'budget p95 ms']
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
    const line = (r: string[]) => r.map((x, i) => (i < 2 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ')
    console.log(`\n${ITER} iterations each, milliseconds, ${TENANTS} tenants / ${CONTACTS} contacts\n`)
    console.log(line(head))
    for (const r of rows) console.log(line(r))
    console.log('')
    for (const v of verdicts) console.log(v)

    if (slowest) {
      const [text, params] = (slowest.c.member ?? slowest.c.owner)()
      await conn`begin`
      await conn`select set_config('request.jwt.claims', ${JSON.stringify({ sub: slowest.user, role: 'authenticated' })}, true),
                        set_config('role', 'authenticated', true)`
      const plan = await conn.unsafe(`explain (analyze, buffers) ${text}`, params as never[])
      await conn`rollback`
      console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the slowest budgeted query under RLS — ${slowest.c.name}:`)
      for (const r of plan) console.log(`  ${r['QUERY PLAN']}`)
      if (slowest.c.member) {
        // The RPC's inner statement, planned as the function runs it.
        await conn`begin`
        const inner = await conn.unsafe(`explain (analyze, buffers) ${searchBody}`, [load.tenantIds[0], 'martin'])
        await conn`rollback`
        console.log('\n  inner statement of search_contacts:')
        for (const r of inner) console.log(`  ${r['QUERY PLAN']}`)
      }
    }
    conn.release()
  } finally {
    await sql.end()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
