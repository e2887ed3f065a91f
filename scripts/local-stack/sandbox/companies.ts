/**
 * The French companies search (recherche-entreprises.api.gouv.fr) under
 * /recherche-entreprises, over the bundled fictional dataset:
 *   GET /search?q=&activite_principale=&section_activite_principale=&code_postal=
 *       &commune=&departement=&region=&etat_administratif=&nature_juridique=
 *       &tranche_effectif_salarie=&page=&per_page=
 * List filters take comma-separated values; `q` with a SIREN (9 digits) or a
 * SIRET (14 digits) is an exact lookup, as on the real API. Errors answer
 * 400 { erreur } like the real service.
 */
import { z } from 'zod'
import { CompaniesDataset } from './companies/dataset.ts'
import { HttpError, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

const csv = (re: RegExp, what: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .refine((xs) => xs.length > 0 && xs.every((x) => re.test(x)), { message: `${what} invalide` })
    .optional()

export const SearchQuery = z
  .object({
    q: z.string().trim().optional(),
    activite_principale: csv(/^\d{2}\.\d{2}[A-Z]$/, 'code NAF'),
    section_activite_principale: csv(/^[A-U]$/, 'section'),
    code_postal: csv(/^\d{5}$/, 'code postal'),
    commune: csv(/^(\d[0-9AB]|2[AB])\d{3}$/, 'code commune'),
    departement: csv(/^(\d{2}|2[AB]|97\d)$/, 'département'),
    region: csv(/^\d{2}$/, 'région'),
    etat_administratif: z.enum(['A', 'C']).optional(),
    nature_juridique: csv(/^\d{4}$/, 'nature juridique'),
    tranche_effectif_salarie: csv(/^(NN|\d{2})$/, "tranche d'effectif"),
    page: z.coerce.number().int().min(1).max(1000).default(1),
    per_page: z.coerce.number().int().min(1).max(25).default(10),
  })
  .refine((p) => Object.entries(p).some(([k, v]) => !['page', 'per_page'].includes(k) && v !== undefined && v !== ''), {
    message: 'Veuillez indiquer au moins un paramètre de recherche.',
  })
  .refine((p) => !p.q || p.q.replace(/\s/g, '').length >= 3, { message: 'Le paramètre `q` doit contenir au moins 3 caractères.' })

export function createCompanies(ctx: SandboxContext) {
  const data = CompaniesDataset.load()
  return {
    data,
    async handle(r: SandboxRequest) {
      if (r.method !== 'GET') throw new HttpError(405, 'method', { erreur: 'Méthode non autorisée.' })
      if (r.path !== '/search') throw new HttpError(404, 'not found', { erreur: `Route ${r.path} inconnue : utilisez /search.` })
      const raw = Object.fromEntries([...r.url.searchParams].filter(([, v]) => v !== ''))
      const parsed = SearchQuery.safeParse(raw)
      if (!parsed.success) {
        const i = parsed.error.issues[0]
        throw new HttpError(400, i.message, { erreur: i.path.length ? `Paramètre \`${i.path.join('.')}\` : ${i.message}` : i.message })
      }
      const out = data.search(parsed.data)
      ctx.record({ provider: 'companies', direction: 'in', method: 'GET', path: `/search${r.url.search}`, status: 200, summary: `${out.total_results} résultat(s)` })
      return sendJson(r.res, 200, out)
    },
  }
}
