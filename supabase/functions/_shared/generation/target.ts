/**
 * A generation target (NAF codes + area) → the provider searches that cover it,
 * and provider records → the establishment rows the platform cache stores.
 * Pure: no I/O, unit-tested in target.test.ts.
 */
import { z } from 'zod'
import type { CompanyRecord, CompanySearch, Establishment } from '../providers/types.ts'

export const areaSchema = z.object({
  communes: z.array(z.string().regex(/^([0-9][0-9AB]|2[AB])[0-9]{3}$/)).default([]),
  postal_codes: z.array(z.string().regex(/^[0-9]{5}$/)).default([]),
  departements: z.array(z.string().regex(/^([0-9]{2}|2[AB]|97[0-9])$/)).default([]),
})
export type Area = z.infer<typeof areaSchema>

export const targetSchema = z.object({
  naf: z.array(z.string().regex(/^[0-9]{2}\.[0-9]{2}[A-Z]$/)).min(1).max(20),
  area: areaSchema,
})
export type Target = z.infer<typeof targetSchema>

/**
 * The searches that cover a target. recherche-entreprises ANDs different
 * filters (code_postal AND departement), so each kind of area is its own
 * search (OR between kinds); lists inside one filter are ORed by the API.
 */
export function searchesFor(t: Target, perPage = 25): CompanySearch[] {
  const base = { naf: [...t.naf].sort(), activeOnly: true, perPage }
  const out: CompanySearch[] = []
  if (t.area.communes.length) out.push({ ...base, communes: [...t.area.communes].sort() })
  if (t.area.postal_codes.length) out.push({ ...base, postalCodes: [...t.area.postal_codes].sort() })
  if (t.area.departements.length) out.push({ ...base, departements: [...t.area.departements].sort() })
  return out
}

export interface EstablishmentRow {
  siret: string
  siren: string
  name: string
  naf: string
  legal_form: string | null
  created_on: string | null
  headcount_band: string | null
  head_office: boolean
  address: string | null
  postal_code: string | null
  commune_code: string | null
  city: string | null
  departement: string | null
  active: boolean
  diffusion: 'O' | 'P'
}

/** Whether an establishment lies in the area. */
export function inArea(e: Establishment, area: Area): boolean {
  return area.communes.includes(e.commune) || area.postal_codes.includes(e.postalCode) || area.departements.includes(e.departement)
}

/**
 * The establishments of a company that match the target: those the API says
 * matched (or the head office when it lists none), inside the area, with one
 * of the NAF codes (the establishment's own, or the company's).
 */
export function rowsFor(c: CompanyRecord, t: Target): EstablishmentRow[] {
  const candidates = c.matching.length ? c.matching : [c.headOffice]
  const seen = new Set<string>()
  const rows: EstablishmentRow[] = []
  for (const e of candidates) {
    if (seen.has(e.siret) || !inArea(e, t.area)) continue
    if (!t.naf.includes(e.naf || c.naf) && !t.naf.includes(c.naf)) continue
    seen.add(e.siret)
    rows.push({
      siret: e.siret,
      siren: c.siren,
      name: c.name,
      naf: t.naf.includes(e.naf) ? e.naf : c.naf,
      legal_form: c.legalForm,
      created_on: c.createdOn,
      headcount_band: c.headcountBand,
      head_office: e.headOffice,
      address: e.address || null,
      postal_code: e.postalCode || null,
      commune_code: e.commune || null,
      city: e.city || null,
      departement: e.departement || null,
      active: c.active && e.active,
      diffusion: c.diffusion ?? 'O',
    })
  }
  return rows
}
