/**
 * Companies provider over the French public companies search
 * (recherche-entreprises.api.gouv.fr, no key). COMPANIES_API_URL points it at
 * the sandbox locally. Answers are validated with zod and mapped to our
 * CompanyRecord; the API's 429 (7 requests/s) becomes a retryable error.
 */
import { z } from 'zod'
import type { CompaniesEnv } from './config.ts'
import { codeForStatus, type CompaniesProvider, type CompanyPage, type CompanyRecord, type CompanySearch, type Establishment, ProviderError } from './types.ts'

const Etab = z.looseObject({
  siret: z.string().regex(/^\d{14}$/),
  est_siege: z.boolean().optional(),
  activite_principale: z.string().nullish(),
  adresse: z.string().nullish(),
  code_postal: z.string().nullish(),
  commune: z.string().nullish(),
  libelle_commune: z.string().nullish(),
  departement: z.string().nullish(),
  etat_administratif: z.string().nullish(),
})
const Result = z.looseObject({
  siren: z.string().regex(/^\d{9}$/),
  nom_complet: z.string(),
  activite_principale: z.string().nullish(),
  nature_juridique: z.string().nullish(),
  date_creation: z.string().nullish(),
  etat_administratif: z.string().nullish(),
  tranche_effectif_salarie: z.string().nullish(),
  statut_diffusion: z.string().nullish(),
  siege: Etab,
  matching_etablissements: z.array(Etab).default([]),
  dirigeants: z.array(z.looseObject({ nom: z.string().nullish(), prenoms: z.string().nullish(), qualite: z.string().nullish(), type_dirigeant: z.string().nullish(), denomination: z.string().nullish() })).default([]),
})
const Page = z.looseObject({ results: z.array(Result), total_results: z.number().int(), page: z.number().int(), per_page: z.number().int(), total_pages: z.number().int() })

const etab = (e: z.infer<typeof Etab>): Establishment => ({
  siret: e.siret,
  headOffice: e.est_siege ?? false,
  naf: e.activite_principale ?? '',
  address: e.adresse ?? '',
  postalCode: e.code_postal ?? '',
  commune: e.commune ?? '',
  city: e.libelle_commune ?? '',
  departement: e.departement ?? '',
  active: e.etat_administratif !== 'F',
})

const company = (r: z.infer<typeof Result>): CompanyRecord => ({
  siren: r.siren,
  name: r.nom_complet,
  naf: r.activite_principale ?? r.siege.activite_principale ?? '',
  legalForm: r.nature_juridique ?? null,
  createdOn: r.date_creation ?? null,
  active: r.etat_administratif !== 'C',
  headcountBand: r.tranche_effectif_salarie ?? null,
  diffusion: r.statut_diffusion === 'P' ? 'P' : 'O',
  headOffice: etab(r.siege),
  matching: r.matching_etablissements.map(etab),
  directors: r.dirigeants
    .filter((d) => d.type_dirigeant !== 'personne morale' && d.nom)
    .map((d) => ({ firstNames: d.prenoms ?? '', lastName: d.nom ?? '', role: d.qualite ?? '' })),
})

export class RechercheEntreprisesProvider implements CompaniesProvider {
  readonly name = 'recherche-entreprises'
  constructor(private env: CompaniesEnv, private fetchFn: typeof fetch = fetch) {}

  private async get(params: URLSearchParams): Promise<z.infer<typeof Page>> {
    const url = `${this.env.COMPANIES_API_URL.replace(/\/$/, '')}/search?${params}`
    let res: Response
    try {
      res = await this.fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.env.COMPANIES_TIMEOUT_MS) })
    } catch (e) {
      throw new ProviderError('recherche-entreprises', 'unavailable', (e as Error).message, { cause: e })
    }
    const body = await res.json().catch(() => undefined)
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after') ?? NaN)
      const message = (body as { erreur?: string } | undefined)?.erreur ?? `HTTP ${res.status}`
      throw new ProviderError('recherche-entreprises', codeForStatus(res.status), message, { status: res.status, retryAfterMs: Number.isFinite(retry) ? retry * 1000 : undefined })
    }
    const parsed = Page.safeParse(body)
    if (!parsed.success) throw new ProviderError('recherche-entreprises', 'unavailable', `unexpected answer: ${parsed.error.issues[0]?.message}`, { status: res.status })
    return parsed.data
  }

  async search(q: CompanySearch): Promise<CompanyPage> {
    const p = new URLSearchParams()
    if (q.q) p.set('q', q.q)
    if (q.naf?.length) p.set('activite_principale', q.naf.join(','))
    if (q.postalCodes?.length) p.set('code_postal', q.postalCodes.join(','))
    if (q.communes?.length) p.set('commune', q.communes.join(','))
    if (q.departements?.length) p.set('departement', q.departements.join(','))
    if (q.activeOnly) p.set('etat_administratif', 'A')
    p.set('page', String(q.page ?? 1))
    p.set('per_page', String(Math.min(q.perPage ?? 25, 25)))
    const page = await this.get(p)
    return { results: page.results.map(company), total: page.total_results, page: page.page, perPage: page.per_page, totalPages: page.total_pages }
  }

  async bySiren(siren: string): Promise<CompanyRecord | null> {
    const id = siren.replace(/\s/g, '')
    if (!/^\d{9}$/.test(id)) throw new ProviderError('recherche-entreprises', 'invalid', 'a SIREN has 9 digits')
    const page = await this.get(new URLSearchParams({ q: id, per_page: '1' }))
    const hit = page.results.find((r) => r.siren === id)
    return hit ? company(hit) : null
  }

  async bySiret(siret: string): Promise<{ company: CompanyRecord; establishment: Establishment } | null> {
    const id = siret.replace(/\s/g, '')
    if (!/^\d{14}$/.test(id)) throw new ProviderError('recherche-entreprises', 'invalid', 'a SIRET has 14 digits')
    const page = await this.get(new URLSearchParams({ q: id, per_page: '1' }))
    const hit = page.results.find((r) => r.siren === id.slice(0, 9))
    if (!hit) return null
    const e = [hit.siege, ...hit.matching_etablissements].find((x) => x.siret === id)
    return e ? { company: company(hit), establishment: etab(e) } : null
  }
}
