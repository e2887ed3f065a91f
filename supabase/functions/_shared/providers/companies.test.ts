import assert from 'node:assert/strict'
import { RechercheEntreprisesProvider } from './companies.ts'
import { createRegistry } from './mod.ts'
import { ProviderError } from './types.ts'
import { env, noSandbox } from './testing.ts'

const companies = () => createRegistry(env).companies()

Deno.test({ name: 'companies adapter: search by NAF and département, then SIREN and SIRET lookups', ignore: noSandbox }, async () => {
  const page = await companies().search({ naf: ['68.31Z'], departements: ['33'], activeOnly: true, perPage: 5 })
  assert.ok(page.total > 0)
  assert.ok(page.results.length <= 5)
  const first = page.results[0]
  assert.equal(first.naf, '68.31Z')
  assert.ok(first.active)
  assert.ok(first.matching.every((e) => e.departement === '33'))
  const bySiren = await companies().bySiren(first.siren)
  assert.equal(bySiren?.name, first.name)
  const bySiret = await companies().bySiret(first.headOffice.siret)
  assert.equal(bySiret?.establishment.siret, first.headOffice.siret)
  assert.equal(bySiret?.company.siren, first.siren)
  assert.equal(await companies().bySiren('123456782'), null)
})

Deno.test({ name: 'companies adapter: postal-code search; API errors become ProviderError', ignore: noSandbox }, async () => {
  const page = await companies().search({ naf: ['68.31Z'], perPage: 1 })
  const cp = page.results[0].headOffice.postalCode
  const byCp = await companies().search({ postalCodes: [cp] })
  assert.ok(byCp.results.some((c) => c.matching.some((e) => e.postalCode === cp)))
  const e = await companies().search({ q: 'ab' }).catch((x) => x)
  assert.ok(e instanceof ProviderError)
  assert.equal(e.code, 'invalid')
  await assert.rejects(() => companies().bySiret('123'), ProviderError)
})

Deno.test('companies adapter: 429 is retryable with its delay, unexpected shapes are refused', async () => {
  const fake = (status: number, body: unknown, headers: Record<string, string> = {}) => () => Promise.resolve(new Response(JSON.stringify(body), { status, headers }))
  const limited = new RechercheEntreprisesProvider({ COMPANIES_API_URL: 'http://127.0.0.1:1', COMPANIES_TIMEOUT_MS: 1000 }, fake(429, { erreur: 'Trop de requêtes' }, { 'retry-after': '2' }))
  const e = await limited.search({ q: 'agence' }).catch((x) => x)
  assert.equal(e.code, 'rate_limited')
  assert.equal(e.retryAfterMs, 2000)
  assert.equal(e.retryable, true)
  const weird = new RechercheEntreprisesProvider({ COMPANIES_API_URL: 'http://127.0.0.1:1', COMPANIES_TIMEOUT_MS: 1000 }, fake(200, { results: [{ siren: 'x' }] }))
  const w = await weird.search({ q: 'agence' }).catch((x) => x)
  assert.equal(w.code, 'unavailable')
})
