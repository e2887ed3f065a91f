/**
 * enrich-worker through the real web-search adapter (and the real OpenAI
 * adapter for tie-breaks) against the stack's provider sandbox: confident
 * values are applied, low-confidence ones wait for review and never reach
 * contacts.email, personal addresses are never kept, a second tenant's job on
 * the same companies is served by the platform cache, and the base report
 * gives coverage and accuracy.
 */
import assert from 'node:assert/strict'
import { createPool } from '../_shared/db.ts'
import { matchFindings } from '../_shared/enrichment/match.ts'
import { processEnrichmentJob } from '../_shared/enrichment/process.ts'
import { createLogger } from '../_shared/log.ts'
import { RechercheEntreprisesProvider } from '../_shared/providers/companies.ts'
import { type EnrichmentProvider, WebSearchEnrichmentProvider } from '../_shared/providers/enrichment.ts'
import { OpenAIProvider } from '../_shared/providers/openai.ts'

const env = Deno.env.toObject()
const opts = { sanitizeResources: false, sanitizeOps: false }
const log = createLogger('enrich-worker-test')

Deno.test('matchFindings: own-domain generic e-mail is confident; directories and personal addresses are not kept', () => {
  const f = matchFindings({ name: 'IMMOBILIÈRE GALLOIER', city: 'Paris' }, [
    { title: 'Galloier', url: 'https://www.immobiliere-galloier.fr/', description: 'Écrivez-nous : contact@immobiliere-galloier.fr' },
    { title: 'Annuaire', url: 'https://www.annuaire-entreprises-exemple.fr/entreprise/819388984', description: 'Gérant : jean.galloier@gmail.com' },
  ])
  assert.deepEqual(f.map((x) => [x.field, x.value]), [['website', 'https://immobiliere-galloier.fr/'], ['email', 'contact@immobiliere-galloier.fr']])
  assert.ok(f.every((x) => x.confidence >= 0.8))
  const personal = matchFindings({ name: 'FONCIÈRE TRÉTURIN' }, [{ title: 'x', url: 'https://www.annuaire-entreprises-exemple.fr/e/1', description: 'paul.tre@gmail.com, direction@treturin.fr' }])
  assert.deepEqual(personal.map((x) => x.value), ['direction@treturin.fr'])
  assert.ok(personal[0].confidence < 0.8, 'an e-mail without a confirmed site needs review')
})

Deno.test('matchFindings: look-alike sites are ambiguous (review), an AI tie-break still needs review', () => {
  const results = [
    { title: 'a', url: 'https://www.les-toits-de-kerriard.fr/', description: '' },
    { title: 'b', url: 'https://www.les-toits-de-kerriard.com/', description: '' },
  ]
  const none = matchFindings({ name: 'LES TOITS DE KERRIARD' }, results)
  assert.equal(none[0].field, 'website')
  assert.equal(none[0].confidence, 0.5)
  const longer = matchFindings({ name: 'LES TOITS DE KERRIARD' }, [results[0], { title: 'c', url: 'https://www.les-toits-de-kerriard-groupe-invest.fr/', description: '' }])
  assert.equal(longer[0].value, 'https://les-toits-de-kerriard.fr/')
  assert.ok(longer[0].confidence >= 0.8, 'the exact name beats a longer look-alike')
  const tie = matchFindings({ name: 'LES TOITS DE KERRIARD' }, results, 1)
  assert.equal(tie[0].value, 'https://les-toits-de-kerriard.com/')
  assert.ok(tie[0].confidence < 0.8)
})

Deno.test({ name: 'enrich-worker: sandbox search, review threshold, platform cache across tenants, coverage report', ignore: !env.ENRICHMENT_SEARCH_URL || !env.SUPABASE_DB_URL, ...opts, fn: async () => {
  const sql = createPool(env.SUPABASE_DB_URL, 3)
  const companies = new RechercheEntreprisesProvider({ COMPANIES_API_URL: env.COMPANIES_API_URL, COMPANIES_TIMEOUT_MS: 10_000 })
  const ai = env.OPENAI_BASE_URL ? OpenAIProvider.fromEnv({ OPENAI_API_KEY: env.OPENAI_API_KEY, OPENAI_BASE_URL: env.OPENAI_BASE_URL }) : undefined
  const real = WebSearchEnrichmentProvider.fromEnv(env, ai)
  let calls = 0
  const provider: EnrichmentProvider = { name: real.name, lookup: (q) => (calls++, real.lookup(q)) }
  const run = crypto.randomUUID().slice(0, 8)
  const tenants: string[] = []
  const users: string[] = []
  try {
    const page = await companies.search({ naf: ['68.31Z'], departements: ['13'], activeOnly: true, perPage: 25 })
    assert.ok(page.results.length >= 10, 'the sandbox has agencies in the Bouches-du-Rhône')
    const jobs: string[] = []
    for (const x of ['a', 'b']) {
      const [u] = await sql`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${`enr-${x}-${run}@test.fr`}, '{}', '{}', now(), now()) returning id`
      const [t] = await sql`insert into public.tenants (slug, legal_name, plan) values (${`enr-${x}-${run}`}, 'Agence Test', 'pro') returning id`
      await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${t.id}, ${u.id}, 'owner')`
      users.push(u.id)
      tenants.push(t.id)
      const [b] = await sql`insert into public.prospect_bases (tenant_id, name) values (${t.id}, 'Marseille') returning id`
      for (const c of page.results) {
        const e = c.headOffice
        const [row] = await sql`insert into public.contacts (tenant_id, kind, company_name, siret, city, postal_code)
          values (${t.id}, 'company', ${c.name}, ${e.siret}, ${e.city || null}, ${e.postalCode || null}) returning id`
        await sql`insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id) values (${t.id}, ${b.id}, ${row.id})`
      }
      const [j] = await sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: u.id, role: 'authenticated' })}, true)`
        return tx`select * from public.request_enrichment(${t.id}, ${b.id})`
      })
      jobs.push(j.id)
    }
    const ra = await processEnrichmentJob(sql, jobs[0], provider, log, { batch: 10 })
    assert.equal(ra.done, true)
    assert.equal(ra.processed, page.results.length)
    assert.equal(ra.providerCalls, page.results.length)
    const found = await sql`select field, value, confidence::float as confidence, status, source from public.contact_enrichments where tenant_id = ${tenants[0]}`
    assert.ok(found.some((f) => f.field === 'email' && f.status === 'applied'), 'some generic e-mails are confident and applied')
    assert.ok(found.some((f) => f.field === 'website'), 'websites are found')
    assert.ok(found.every((f) => !/gmail/.test(f.value)), 'personal addresses are never kept')
    assert.ok(found.every((f) => (f.confidence >= 0.8) === (f.status === 'applied' || f.status === 'skipped')))
    assert.ok(found.every((f) => /^https:\/\//.test(f.source)), 'every value keeps its source URL')
    const leaked = await sql`select 1 from public.contact_enrichments ce join public.contacts c on c.tenant_id = ce.tenant_id and c.id = ce.contact_id
      where ce.tenant_id = ${tenants[0]} and ce.status = 'needs_review' and ce.field = 'email' and c.email = ce.value`
    assert.equal(leaked.length, 0, 'a value that needs review never reaches contacts.email')

    // Second tenant, same companies: the platform cache answers, no provider call.
    const before = calls
    const rb = await processEnrichmentJob(sql, jobs[1], provider, log, { batch: 10 })
    assert.equal(rb.cacheHits, page.results.length)
    assert.equal(calls, before)
    const [cb] = await sql`select count(*)::int as n from public.contact_enrichments where tenant_id = ${tenants[1]}`
    assert.equal(cb.n, found.length)

    // Report: coverage, then accuracy after reviews.
    const [base] = await sql`select id from public.prospect_bases where tenant_id = ${tenants[0]}`
    const review = await sql`select id from public.contact_enrichments where tenant_id = ${tenants[0]} and status = 'needs_review' order by id limit 2`
    // deno-lint-ignore no-explicit-any
    const asOwner = (fn: (tx: any) => Promise<any>) => sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: users[0], role: 'authenticated' })}, true)`
      return fn(tx)
    })
    if (review.length === 2) {
      await asOwner((tx) => tx`select public.review_enrichment(${review[0].id}, true)`)
      await asOwner((tx) => tx`select public.review_enrichment(${review[1].id}, false)`)
    }
    const [rep] = await asOwner((tx) => tx`select public.base_enrichment_report(${tenants[0]}, ${base.id}) as r`)
    assert.equal(rep.r.companies, page.results.length)
    assert.ok(rep.r.with_website > 0 && rep.r.with_website <= rep.r.companies)
    assert.ok(rep.r.with_email > 0)
    if (review.length === 2) assert.equal(Number(rep.r.accuracy), 0.5)
    assert.equal(rep.r.job.status, 'done')
  } finally {
    if (tenants.length) await sql`delete from public.tenants where id in ${sql(tenants)}`
    if (users.length) await sql`delete from auth.users where id in ${sql(users)}`
    await sql.end()
  }
} })
