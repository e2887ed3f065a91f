/**
 * A saved segment's first page on 100,000 contacts.
 *
 *   npx tsx bench/segments.ts [--contacts=100000] [--iterations=200]
 *
 * Starts its own test-mode stack (throwaway cluster), loads one tenant of
 * 100,000 contacts with scripts/generate-load-data.ts, scores every contact
 * (private.refresh_contact_scores, set-based), then measures the first page
 * (50 rows, newest activity first) of a segment with 3 filters — city, tag,
 * score ≥ the tenant's median (or --min-score=N) — through public.segment_contacts exactly as an API request runs
 * it (a transaction with `set local role authenticated` and the member's
 * request.jwt.claims, so RLS applies, plus the dynamic SQL built from the
 * JSON filters). The physical limit it is compared with: the same page
 * written by hand as one plain indexed query, run by the table owner (no
 * RLS, no function, no JSON). Also the live count (segment_count).
 * Target: first page p95 < 50 ms.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { generateLoadData } from '../scripts/generate-load-data.ts'
import { startStack } from '../scripts/local-stack/stack.ts'
import { percentile as pct } from './lib/stats.ts'

const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const CONTACTS = arg('contacts', 100_000)
const ITER = arg('iterations', 200)
const ms = (x: number) => `${x.toFixed(2)} ms`

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-seg-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  const sql = postgres(stack.cfg.dbUrl, { max: 2, onnotice: () => {} })
  try {
    console.log(`stack up; loading 1 tenant with ${CONTACTS} contacts…`)
    const load = await generateLoadData(sql, { tenants: 2, contacts: CONTACTS + 1000, big: CONTACTS, medium: 1000, prefix: 'benchseg', log: (m) => console.log(`  ${m}`) })
    const [tenant] = load.tenantIds
    const [owner] = load.ownerIds
    let t0 = Date.now()
    const [sc] = await sql`select private.refresh_contact_scores(${tenant}) as n`
    console.log(`scored ${sc.n} contacts in ${((Date.now() - t0) / 1000).toFixed(1)} s (${Math.round(sc.n / ((Date.now() - t0) / 1000))} contacts/s)`)
    t0 = Date.now()
    await sql`vacuum analyze`
    console.log(`vacuum analyze: ${((Date.now() - t0) / 1000).toFixed(1)} s`)

    // The most common city of the tenant, so the filter is realistic rather than empty.
    const [top] = await sql`select city, count(*)::int as n from public.contacts where tenant_id = ${tenant} group by city order by 2 desc limit 1`
    // The score threshold is the tenant's median score, so the segment is neither empty nor everything.
    const [med] = await sql`select percentile_disc(0.5) within group (order by score)::int as s from public.contact_scores where tenant_id = ${tenant}`
    const minScore = Number(process.argv.find((a) => a.startsWith('--min-score='))?.split('=')[1] ?? med.s)
    const filters = [
      { field: 'city', op: 'eq', value: top.city },
      { field: 'tags', op: 'contains_any', value: ['vendeur'] },
      { field: 'score', op: 'gte', value: minScore },
    ]
    const claims = JSON.stringify({ sub: owner, role: 'authenticated', aud: 'authenticated' })
    const asMember = async <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
      sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`
        return fn(tx)
      }) as Promise<T>

    const segPage = () => asMember((tx) => tx`select * from public.segment_contacts(${tenant}, ${tx.json(filters)}, 'recent', null, 50)`)
    const segCount = () => asMember((tx) => tx`select public.segment_count(${tenant}, ${tx.json(filters)}) as n`)
    const plain = () => sql.begin((tx) => tx`
      select c.id, c.kind, c.first_name, c.last_name, c.company_name, c.email, c.phone, c.city, c.postal_code, c.tags,
             c.lifecycle_stage, c.owner_id, c.last_activity_at, s.score, s.label
        from public.contacts c left join public.contact_scores s on s.tenant_id = c.tenant_id and s.contact_id = c.id
       where c.tenant_id = ${tenant} and c.deleted_at is null
         and lower(c.city) = lower(${top.city}) and c.tags && ${['vendeur']}::text[] and coalesce(s.score, 0) >= ${minScore}
       order by c.last_activity_at desc, c.id desc limit 50`)

    const first = await segPage()
    const check = await plain()
    if (first.length !== check.length || first.some((r, i) => r.id !== check[i].id)) throw new Error('segment_contacts and the plain query disagree')
    const [{ n: matching }] = await segCount()
    console.log(`segment: city = ${top.city} (${top.n} contacts), tag vendeur, score ≥ ${minScore} → ${matching} contacts; first page ${first.length} rows`)

    const run = async (label: string, f: () => Promise<unknown>) => {
      for (let i = 0; i < 10; i++) await f() // warm-up
      const xs: number[] = []
      for (let i = 0; i < ITER; i++) {
        const s = performance.now()
        await f()
        xs.push(performance.now() - s)
      }
      console.log(`  ${label.padEnd(46)} p50 ${ms(pct(xs, 50)).padStart(10)}  p95 ${ms(pct(xs, 95)).padStart(10)}  max ${ms(Math.max(...xs)).padStart(10)}`)
      return xs
    }
    console.log(`\n${ITER} iterations each (client round trip included):`)
    const seg = await run('segment_contacts, 3 filters, first page (RLS)', segPage)
    const base = await run('plain indexed query, owner (the limit)', plain)
    const cnt = await run('segment_count, live count (RLS)', segCount)
    const p95 = pct(seg, 95)
    console.log(`\nfirst page p95 ${ms(p95)} — target < 50 ms: ${p95 < 50 ? 'met' : 'NOT met'}`)
    console.log(`ratio to the plain indexed query: p50 ×${(pct(seg, 50) / pct(base, 50)).toFixed(2)}, p95 ×${(p95 / pct(base, 95)).toFixed(2)}`)
    console.log(`live count p95 ${ms(pct(cnt, 95))}`)
    console.log(`\nplan of the page query (segment_contacts runs this SQL, built from the filters):`)
    const inner = await sql.unsafe(`explain (analyze, buffers, costs off) select c.id from public.contacts c left join public.contact_scores s on s.tenant_id = c.tenant_id and s.contact_id = c.id
       where c.tenant_id = $1 and c.deleted_at is null and lower(c.city) = lower($2) and c.tags && array['vendeur'] and coalesce(s.score, 0) >= $3
       order by c.last_activity_at desc, c.id desc limit 50`, [tenant, top.city, minScore])
    console.log(inner.map((r) => r['QUERY PLAN']).join('\n'))
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
