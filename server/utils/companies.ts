import { z } from 'zod'
import { guessSpecialisations } from '~~/app/utils/specialisation'

/** One company of the recherche-entreprises API, the fields we use (others ignored). */
const Siege = z.object({
  siret: z.string().nullish(),
  adresse: z.string().nullish(),
  code_postal: z.string().nullish(),
  libelle_commune: z.string().nullish(),
  activite_principale: z.string().nullish(),
  date_creation: z.string().nullish(),
}).loose()
const Company = z.object({
  siren: z.string(),
  nom_complet: z.string().nullish(),
  nom_raison_sociale: z.string().nullish(),
  activite_principale: z.string().nullish(),
  date_creation: z.string().nullish(),
  siege: Siege.nullish(),
  matching_etablissements: z.array(Siege).nullish(),
}).loose()
export const CompaniesResponse = z.object({ results: z.array(Company), total_results: z.number().optional() }).loose()

export interface CompanyHit {
  siren: string
  siret: string | null
  legalName: string
  address: string | null
  postalCode: string | null
  city: string | null
  nafCode: string | null
  createdOn: string | null
  specialisations: string[]
}

const NAF = /^\d{2}\.\d{2}[A-Z]$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

export function toHits(body: unknown, wantedSiret?: string): CompanyHit[] {
  const parsed = CompaniesResponse.parse(body)
  return parsed.results.map((c) => {
    const etab = (wantedSiret && c.matching_etablissements?.find((e) => e.siret === wantedSiret)) || c.siege || null
    const legalName = (c.nom_raison_sociale || c.nom_complet || '').trim()
    const naf = etab?.activite_principale || c.activite_principale || null
    const street = etab?.adresse ?? null
    const postal = etab?.code_postal && /^\d{5}$/.test(etab.code_postal) ? etab.code_postal : null
    const city = etab?.libelle_commune ?? null
    // The API's `adresse` is the full line ("8 RUE X 75008 PARIS"): keep the street part.
    const line = street && postal ? street.split(postal)[0]!.trim().replace(/,$/, '') || street : street
    const created = etab?.date_creation || c.date_creation || null
    return {
      siren: c.siren,
      siret: etab?.siret ?? null,
      legalName,
      address: line,
      postalCode: postal,
      city,
      nafCode: naf && NAF.test(naf) ? naf : null,
      createdOn: created && DATE.test(created) ? created : null,
      specialisations: guessSpecialisations(legalName, naf),
    }
  }).filter((h) => h.legalName)
}
