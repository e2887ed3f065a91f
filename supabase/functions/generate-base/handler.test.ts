/**
 * generate-base through the real recherche-entreprises adapter against the
 * stack's provider sandbox: a target is fetched once and cached; a second
 * tenant asking for the same target gets it from the cache (no provider call)
 * while neither tenant sees the other's generation; confirming unlocks
 * contacts with their sources and plants a watermark record.
 */
import assert from 'node:assert/strict'
import { createPool } from '../_shared/db.ts'
import { processGeneration } from '../_shared/generation/process.ts'
import { rowsFor, searchesFor } from '../_shared/generation/target.ts'
import { createLogger } from '../_shared/log.ts'
import { RechercheEntreprisesProvider } from '../_shared/providers/companies.ts'
import type { CompaniesProvider, CompanyRecord } from '../_shared/providers/types.ts'

const env = Deno.env.toObject()
const opts = { sanitizeResources: false, sanitizeOps: false }
const log = createLogger('generate-base-test', {}, { level: 'warn' } as never)

Deno.test('searchesFor splits an area into one search per kind (the API ANDs different filters)', () => {
  const s = searchesFor({ naf: ['68.31Z', '41.10A'], area: { communes: ['92051'], postal_codes: ['75008', '75016'], departements: [] } })
  assert.equal(s.length, 2)
  assert.deepEqual(s[0].naf, ['41.10A', '68.31Z'])
  assert.deepEqual(s[0].communes, ['92051'])
  assert.deepEqual(s[1].postalCodes, ['75008', '75016'])
})

Deno.test('rowsFor keeps the matching establishments inside the area with a wanted NAF, and the diffusion status', () => {
  const etab = (siret: string, postalCode: string, naf = '68.31Z') =>
    ({ siret, headOffice: siret.endsWith('1'), naf, address: '1 RUE X', postalCode, commune: '75108', city: 'Paris', departement: postalCode.slice(0, 2), active: true })
  const c: CompanyRecord = {
    siren: '123456789', name: 'AGENCE TEST', naf: '68.31Z', legalForm: '5499', createdOn: '2010-01-01', active: true, headcountBand: '03',
    diffusion: 'P', headOffice: etab('12345678900011', '75008'), matching: [etab('12345678900011', '75008'), etab('12345678900029', '69001'), etab('12345678900037', '75008', '47.11A')],
    directors: [],
  }
  const rows = rowsFor(c, { naf: ['68.31Z'], area: { communes: [], postal_codes: ['75008'], departements: [] } })
  assert.deepEqual(rows.map((r) => r.siret), ['12345678900011', '12345678900037'])
  assert.equal(rows[0].diffusion, 'P')
})

function counting(p: CompaniesProvider) {
  const counter = { calls: 0 }
  const wrapped: CompaniesProvider = {
    name: p.name,
    search: (q) => (counter.calls++, p.search(q)),
    bySiren: (s) => p.bySiren(s),
    bySiret: (s) => p.bySiret(s),
  }
  return { wrapped, counter }
}

Deno.test({ name: 'generate-base: fetched once through the sandbox, reused from the cache by a second tenant, private to each', ignore: !env.COMPANIES_API_URL || !env.SUPABASE_DB_URL, ...opts, fn: async () => {
  const sql = createPool(env.SUPABASE_DB_URL, 3)
  const provider = counting(new RechercheEntreprisesProvider({ COMPANIES_API_URL: env.COMPANIES_API_URL, COMPANIES_TIMEOUT_MS: 10_000 }))
  const run = crypto.randomUUID().slice(0, 8)
  const users: string[] = []
  const tenants: string[] = []
  try {
    for (const x of ['a', 'b']) {
      const [u] = await sql`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${`gen-${x}-${run}@test.fr`}, '{}', '{}', now(), now()) returning id`
      const [t] = await sql`insert into public.tenants (slug, legal_name, postal_code, plan, geographic_zones) values (${`gen-${x}-${run}`}, 'Agence Test', '69003', 'pro', '{Lyon 3e}') returning id`
      await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${t.id}, ${u.id}, 'owner')`
      users.push(u.id)
      tenants.push(t.id)
    }
    // deno-lint-ignore no-explicit-any
    const asUser = (i: number, fn: (tx: any) => Promise<any>): Promise<any> => sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: users[i], role: 'authenticated' })}, true)`
      return fn(tx)
    })
    const area = { departements: ['69'] }
    // Tenant A: a cache miss, fetched from the sandbox.
    const ga = await asUser(0, (tx) => tx`select * from public.request_base_generation(${tenants[0]}, 'Agences du Rhône', '{68.31Z}', ${tx.json(area)}, 'proximity')`)
    assert.equal(ga[0].status, 'queued')
    const ra = await processGeneration(sql, ga[0].id, provider.wrapped, log, { pauseMs: 0 })
    assert.equal(ra.status, 'ready')
    assert.equal(ra.cacheHit, false)
    assert.ok(ra.providerCalls > 0 && provider.counter.calls === ra.providerCalls)
    assert.ok((ra.total ?? 0) > 0, 'the sandbox has agencies in the Rhône')
    const [cached] = await sql`select count(*)::int as n from private.company_query_results where query_key = ${ga[0].query_key}`
    assert.ok(cached.n >= ra.total!)
    // A second run is a no-op.
    const again = await processGeneration(sql, ga[0].id, provider.wrapped, log, { pauseMs: 0 })
    assert.equal(again.providerCalls, 0)

    // Tenant B, same target: ready at once from the cache, no new provider call.
    const callsBefore = provider.counter.calls
    const gb = await asUser(1, (tx) => tx`select * from public.request_base_generation(${tenants[1]}, 'Rhône', '{68.31Z}', ${tx.json(area)}, 'score')`)
    assert.equal(gb[0].status, 'ready')
    assert.equal(gb[0].cache_hit, true)
    assert.equal(gb[0].total, ra.total)
    const rb = await processGeneration(sql, gb[0].id, provider.wrapped, log, { pauseMs: 0 })
    assert.equal(rb.providerCalls, 0)
    assert.equal(provider.counter.calls, callsBefore, 'no second external call')

    // Privacy: each tenant sees only its own generation and items.
    const seenByA = await asUser(0, (tx) => tx`select id from public.base_generations where id in (${ga[0].id}, ${gb[0].id})`)
    assert.deepEqual(seenByA.map((r: { id: string }) => r.id), [ga[0].id])
    const itemsOfBSeenByA = await asUser(0, (tx) => tx`select count(*)::int as n from public.base_generation_items where generation_id = ${gb[0].id}`)
    assert.equal(itemsOfBSeenByA[0].n, 0)
    const cacheByUser = await asUser(0, (tx) => tx`select count(*) from private.company_establishments`).then(() => 'read', (e: { code?: string }) => e.code)
    assert.equal(cacheByUser, '42501', 'the platform cache is not readable by users')

    // Preview: masked sample, nothing spent.
    const [pv] = await asUser(0, (tx) => tx`select public.base_generation_preview(${ga[0].id}, 5) as p`)
    assert.equal(pv.p.total, ra.total)
    assert.equal(pv.p.credits.used, 0)
    assert.ok(pv.p.sample.length > 0)
    for (const s of pv.p.sample) {
      assert.ok(s.name.length > 0)
      assert.match(s.address, /•/)
      assert.equal(s.email, '•••••@•••••.fr')
    }
    // Confirm: contacts with sources, in the base, plus one watermark record.
    const [cf] = await asUser(0, (tx) => tx`select public.confirm_base_generation(${ga[0].id}, 'Agences du Rhône') as r`)
    assert.equal(cf.r.unlocked, ra.total)
    assert.equal(cf.r.locked, 0)
    const [members] = await sql`select count(*)::int as n from public.prospect_base_members where prospect_base_id = ${cf.r.prospect_base_id}`
    assert.equal(members.n, ra.total! + 1)
    const [src] = await sql`select source, custom_fields from public.contacts where tenant_id = ${tenants[0]} and siret is not null limit 1`
    assert.equal(src.source, 'generation')
    assert.equal(src.custom_fields.field_sources.source, 'recherche-entreprises')
    const [wm] = await sql`select w.email, c.tenant_id from private.base_watermarks w join public.contacts c on c.id = w.contact_id where w.generation_id = ${ga[0].id}`
    assert.equal(wm.tenant_id, tenants[0])
    const [traced] = await sql`select tenant_id from private.trace_watermark(${wm.email})`
    assert.equal(traced.tenant_id, tenants[0])
  } finally {
    if (tenants.length) await sql`delete from public.tenants where id in ${sql(tenants)}`
    if (users.length) await sql`delete from auth.users where id in ${sql(users)}`
    await sql.end()
  }
} })
