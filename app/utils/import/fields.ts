/**
 * The contact fields a file can fill, their French and English header names,
 * and the automatic mapping: by header name first, then by the values of the
 * column (an e-mail column, a phone column, a SIRET column, a postal code column).
 */
import { isValidSiret } from '../siret'

export const CONTACT_FIELDS = [
  'first_name', 'last_name', 'full_name', 'email', 'phone', 'company_name', 'job_title', 'siret', 'siren',
  'naf_code', 'address_line', 'postal_code', 'city', 'country', 'tags', 'lifecycle_stage',
  'do_not_contact', 'email_opt_out', 'sms_opt_out',
] as const
export type ContactField = (typeof CONTACT_FIELDS)[number]
/** A column goes to a contact field, to a custom field (`custom:<key>`), or nowhere. */
export type Target = ContactField | `custom:${string}` | 'ignore'
export type Mapping = Record<string, Target>

/** Lower-case, unaccented, punctuation to spaces: "E-mail (pro)" → "e mail pro". */
export function normalizeHeader(h: string): string {
  return h.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
}

const SYNONYMS: Record<ContactField, string[]> = {
  first_name: ['prenom', 'first name', 'firstname', 'given name', 'prenom contact', 'prenom du contact'],
  last_name: ['nom', 'nom de famille', 'last name', 'lastname', 'surname', 'family name', 'nom contact', 'nom du contact'],
  full_name: ['nom complet', 'nom et prenom', 'prenom et nom', 'nom prenom', 'prenom nom', 'full name', 'name', 'interlocuteur'],
  email: ['email', 'e mail', 'mail', 'courriel', 'adresse email', 'adresse e mail', 'adresse mail', 'email address', 'e mail address', 'mel'],
  phone: ['telephone', 'tel', 'phone', 'portable', 'mobile', 'numero de telephone', 'tel portable', 'tel mobile', 'gsm', 'phone number', 'telephone mobile', 'telephone portable', 'tel fixe', 'telephone fixe'],
  company_name: ['societe', 'entreprise', 'raison sociale', 'company', 'company name', 'organisation', 'organization', 'nom entreprise', 'nom de la societe', 'denomination', 'enseigne'],
  job_title: ['fonction', 'poste', 'titre', 'job title', 'title', 'position', 'profession', 'metier'],
  siret: ['siret', 'n siret', 'numero siret', 'siret number'],
  siren: ['siren', 'n siren', 'numero siren'],
  naf_code: ['naf', 'code naf', 'ape', 'code ape', 'naf code', 'activite principale'],
  address_line: ['adresse', 'address', 'rue', 'adresse postale', 'street', 'address line', 'adresse 1', 'voie'],
  postal_code: ['code postal', 'cp', 'postal code', 'zip', 'zip code', 'postcode', 'code postale'],
  city: ['ville', 'commune', 'city', 'town', 'localite'],
  country: ['pays', 'country', 'code pays'],
  tags: ['tags', 'etiquettes', 'etiquette', 'labels', 'categorie', 'categories', 'segment'],
  lifecycle_stage: ['statut', 'etape', 'stage', 'lifecycle stage', 'cycle de vie'],
  do_not_contact: ['ne pas contacter', 'do not contact', 'dnc', 'bloctel', 'liste rouge'],
  email_opt_out: ['desabonne', 'desinscrit', 'opt out email', 'email opt out', 'unsubscribed', 'refus email', 'refus mail'],
  sms_opt_out: ['stop sms', 'opt out sms', 'sms opt out', 'refus sms'],
}

const BY_HEADER = new Map<string, ContactField>()
for (const [field, names] of Object.entries(SYNONYMS) as [ContactField, string[]][]) {
  for (const n of names) BY_HEADER.set(n, field)
}

export function fieldForHeader(header: string): ContactField | null {
  const h = normalizeHeader(header)
  if (BY_HEADER.has(h)) return BY_HEADER.get(h)!
  // "Téléphone portable du contact", "Email pro": the longest synonym contained as whole words
  let best: { f: ContactField; len: number } | null = null
  for (const [name, f] of BY_HEADER) {
    if (name.length < 3) continue
    if (` ${h} `.includes(` ${name} `) && (!best || name.length > best.len)) best = { f, len: name.length }
  }
  return best?.f ?? null
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const PHONE = /^(\+|00)?[\d\s.()-]{9,20}$/
/** The field a column's values suggest (≥ 60 % of its non-empty sample values agree). */
export function fieldForValues(values: string[]): ContactField | null {
  const v = values.map((x) => x.trim()).filter(Boolean)
  if (v.length < 2) return null
  const share = (test: (s: string) => boolean) => v.filter(test).length / v.length
  if (share((s) => EMAIL.test(s)) >= 0.6) return 'email'
  if (share((s) => /^\d{14}$/.test(s.replace(/\s/g, '')) && isValidSiret(s)) >= 0.6) return 'siret'
  if (share((s) => /^\d{5}$/.test(s) || /^\d{4}$/.test(s)) >= 0.8) return 'postal_code'
  if (share((s) => PHONE.test(s) && s.replace(/\D/g, '').length >= 9) >= 0.6) return 'phone'
  return null
}

/** Key of a custom field for an unmapped header: "Budget max (€)" → "budget_max". */
export function customKey(header: string): string {
  return normalizeHeader(header).replace(/ /g, '_').slice(0, 40) || 'colonne'
}

/**
 * The automatic mapping: header names first, then values; each contact field
 * once (the first column wins, a second "Téléphone" becomes a custom field).
 * Columns neither recognises become custom fields.
 */
export function autoMapping(headers: string[], sampleRows: string[][], preset?: Mapping): Mapping {
  const mapping: Mapping = {}
  const used = new Set<string>()
  headers.forEach((h, i) => {
    const fromPreset = preset?.[normalizeHeader(h)]
    let target: Target | null = fromPreset ?? null
    if (!target) {
      const f = fieldForHeader(h) ?? fieldForValues(sampleRows.map((r) => r[i] ?? ''))
      target = f && !used.has(f) ? f : null
    }
    if (!target) target = `custom:${customKey(h)}`
    if (target !== 'ignore' && !target.startsWith('custom:')) used.add(target)
    mapping[h] = target
  })
  return mapping
}

/** A mapping as a preset: keyed by normalised header so "E-mail" and "Email" share it. */
export function toPreset(mapping: Mapping): Mapping {
  return Object.fromEntries(Object.entries(mapping).map(([h, t]) => [normalizeHeader(h), t]))
}
