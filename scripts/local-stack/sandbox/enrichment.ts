/**
 * A web search API (Brave Search's wire shape) under /enrichment, answering
 * from the fictional companies dataset, for the enrichment provider:
 *   GET /enrichment/res/v1/web/search?q=<name and town>&count=10
 *   header X-Subscription-Token (any non-empty value locally)
 * → { query: { original }, web: { results: [{ title, url, description, meta_url: { hostname } }] } }
 *
 * Deterministic per company (hash of the SIREN), so tests know what to expect:
 *   0-4  official site www.<slug>.fr, its snippet shows contact@<slug>.fr
 *   5-6  official site only (no e-mail on the page)
 *   7    two look-alike sites (www.<slug>.fr and www.<slug>.com): ambiguous, the AI breaks the tie
 *   8    only a directory page, whose snippet shows a personal address (never kept)
 *   9    nothing but directory pages
 * Every answer also lists a directory page (annuaire) that is not the
 * company's site. A query naming no known company answers no result.
 */
import { createHash } from 'node:crypto'
import { CompaniesDataset, normalize, type Company } from './companies/dataset.ts'
import { HttpError, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

export const slugOf = (name: string) => normalize(name).replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
export const bucketOf = (siren: string) => createHash('sha256').update(siren).digest()[0] % 10

export function resultsFor(c: Company): { title: string; url: string; description: string }[] {
  const slug = slugOf(c.nom_complet)
  const city = c.siege.libelle_commune
  const b = bucketOf(c.siren)
  const dir = { title: `${c.nom_complet} à ${city} - Annuaire des entreprises`, url: `https://www.annuaire-entreprises-exemple.fr/entreprise/${c.siren}`, description: `${c.nom_complet}, SIREN ${c.siren}, ${c.siege.adresse}.` }
  const site = { title: `${c.nom_complet} — ${city}`, url: `https://www.${slug}.fr/`, description: `Bienvenue chez ${c.nom_complet}, votre partenaire à ${city}.` }
  if (b <= 4) return [{ ...site, description: `${site.description} Écrivez-nous : contact@${slug}.fr` }, dir]
  if (b <= 6) return [site, dir]
  if (b === 7) return [site, { title: `${c.nom_complet}`, url: `https://www.${slug}.com/`, description: `${c.nom_complet}, le site du groupe.` }, dir]
  if (b === 8) {
    const d = c.dirigeants[0]
    const personal = d ? `${slugOf(d.prenoms.split(' ')[0])}.${slugOf(d.nom)}@gmail.com` : 'gerant@gmail.com'
    return [{ ...dir, description: `${dir.description} Gérant joignable : ${personal}` }]
  }
  return [dir]
}

export function createEnrichment(ctx: SandboxContext, data: CompaniesDataset = CompaniesDataset.load()) {
  // Several fictional companies share a name: the town in the query tells them apart.
  const byName = new Map<string, Company[]>()
  for (const c of data.all()) {
    const k = normalize(c.nom_complet)
    byName.set(k, [...(byName.get(k) ?? []), c])
  }
  const names = [...byName.keys()].sort((a, b) => b.length - a.length)
  return {
    async handle(r: SandboxRequest) {
      if (r.method !== 'GET') throw new HttpError(405, 'method', { error: 'method_not_allowed' })
      if (r.path !== '/res/v1/web/search') throw new HttpError(404, 'not found', { error: 'not_found' })
      if (!r.req.headers['x-subscription-token']) throw new HttpError(401, 'token', { type: 'ErrorResponse', error: { code: 'SUBSCRIPTION_TOKEN_INVALID', status: 401 } })
      const q = r.url.searchParams.get('q')?.trim() ?? ''
      if (q.length < 2) throw new HttpError(422, 'q', { type: 'ErrorResponse', error: { code: 'VALIDATION', detail: 'q is required', status: 422 } })
      const nq = normalize(q)
      const name = names.find((n) => nq.includes(n))
      const same = name ? byName.get(name)! : []
      const company = same.find((c) => nq.includes(normalize(c.siege.libelle_commune ?? ''))) ?? same[0]
      const results = company ? resultsFor(company) : []
      ctx.record({ provider: 'enrichment', direction: 'in', method: 'GET', path: `/enrichment${r.path}${r.url.search}`, status: 200, summary: `${results.length} résultat(s)` })
      return sendJson(r.res, 200, {
        type: 'search',
        query: { original: q },
        web: { type: 'search', results: results.map((x) => ({ ...x, meta_url: { hostname: new URL(x.url).hostname } })) },
      })
    },
  }
}
