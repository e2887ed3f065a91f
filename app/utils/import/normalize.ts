/**
 * One row of the file → the contact as it will be stored, or the reason it is
 * rejected (field + stable code; the page words it in French). Runs in the
 * import worker; the database validates again (import_apply_batch).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min'
import { cleanDigits, isValidSiren, siretProblem } from '../siret'
import type { ContactField, Mapping } from './fields'

export interface ImportContact {
  kind?: 'person' | 'company'
  first_name?: string | null
  last_name?: string | null
  email?: string | null
  phone?: string | null
  company_name?: string | null
  job_title?: string | null
  siret?: string | null
  siren?: string | null
  naf_code?: string | null
  address_line?: string | null
  postal_code?: string | null
  city?: string | null
  country?: string | null
  tags?: string[]
  lifecycle_stage?: string | null
  custom_fields?: Record<string, string | number>
  do_not_contact?: boolean
  email_opt_out?: boolean
  sms_opt_out?: boolean
}

export type RejectReason =
  | 'formula' | 'html' | 'too_long' | 'too_many_cells' | 'invalid_email' | 'invalid_phone' | 'invalid_siret'
  | 'invalid_siren' | 'invalid_postal_code' | 'invalid_naf' | 'missing_identity'
export type WarningCode = 'email_corrected' | 'city_filled' | 'city_mismatch' | 'postal_code_padded' | 'missing_cells'

export interface RowIssue { field: string; code: string; value?: string; suggestion?: string }
export interface NormalizedRow {
  contact: ImportContact
  error: (RowIssue & { code: RejectReason }) | null
  warnings: RowIssue[]
}

/** Postal code → communes (names as written, and normalised for comparison). */
export type Communes = Map<string, { name: string; key: string }[]>

export const MAX_LENGTH: Partial<Record<ContactField, number>> = {
  first_name: 100, last_name: 100, full_name: 200, company_name: 200, job_title: 150, address_line: 300, city: 100, email: 254,
}
export const MAX_CUSTOM_LENGTH = 2000

const COMMON_DOMAINS = [
  'gmail.com', 'hotmail.fr', 'hotmail.com', 'yahoo.fr', 'yahoo.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'sfr.fr',
  'laposte.net', 'outlook.fr', 'outlook.com', 'live.fr', 'icloud.com', 'neuf.fr', 'bbox.fr', 'aol.com', 'gmx.fr',
]

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]!
}

const domainCache = new Map<string, string | null>()
/** "gmial.com" → "gmail.com": one known domain within 2 edits; null when none or ambiguous. */
export function suggestDomain(domain: string): string | null {
  if (COMMON_DOMAINS.includes(domain) || domain.length < 6) return null
  const cached = domainCache.get(domain)
  if (cached !== undefined) return cached
  const close = COMMON_DOMAINS.filter((d) => levenshtein(domain, d) <= 2)
  const r = close.length === 1 ? close[0]! : null
  if (domainCache.size < 10_000) domainCache.set(domain, r)
  return r
}

const EMAIL_RE = /^[^@\s"<>(),;:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$/

export function normalizeEmail(input: string): { email: string | null; suggestion?: string; valid: boolean } {
  const e = input.trim().replace(/^mailto:/i, '').toLowerCase()
  if (!e) return { email: null, valid: true }
  if (!EMAIL_RE.test(e)) return { email: e, valid: false }
  const [local, domain] = e.split('@') as [string, string]
  const s = suggestDomain(domain)
  return s ? { email: `${local}@${s}`, suggestion: s, valid: true } : { email: e, valid: true }
}

/** French numbers without +33 (06 12 34 56 78, 6 12 34 56 78, 0033…), others need their +country. */
export function normalizePhone(input: string): string | null | false {
  const first = input.split(/[\/|]| ou /)[0]!.trim()
  if (!first) return null
  let v = first.replace(/^00/, '+')
  const digits = v.replace(/\D/g, '')
  // Fast path for the usual French shapes (geographic 01–05, mobile 06/07, 09): libphonenumber
  // costs ~100 µs a number, most of a row's budget. Other numbers (08, abroad) go through it.
  if (/^[\d\s.()-]+$/.test(first)) {
    if (/^0[1-79]\d{8}$/.test(digits)) return '+33' + digits.slice(1)
    if (/^[1-79]\d{8}$/.test(digits)) return '+33' + digits // Excel dropped the 0
  } else if (/^\+[\d\s.()-]+$/.test(v) && /^33[1-79]\d{8}$/.test(digits)) {
    return '+' + digits
  }
  if (!v.startsWith('+') && digits.length === 9 && /^[1-9]/.test(digits)) v = '0' + digits // Excel dropped the 0
  const p = parsePhoneNumberFromString(v, 'FR')
  return p && p.isValid() ? p.number : false
}

const PARTICLES = new Set(['de', 'du', 'des', 'la', 'le', 'les', 'von', 'van', 'der', 'di', 'da', 'et'])
/** "JEAN-PIERRE DE LA FONTAINE" → "Jean-Pierre de La Fontaine"; mixed case is left as typed. */
export function capitalizeName(input: string): string {
  const s = input.trim().replace(/\s+/g, ' ')
  if (!s || (s !== s.toUpperCase() && s !== s.toLowerCase())) return s
  return s.toLowerCase().split(' ').map((word, i, words) => {
    if (i > 0 && i < words.length - 1 && PARTICLES.has(word)) return word
    return word.replace(/(^|[-'’])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase())
  }).join(' ')
}

export function cityKey(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/\bst\b/g, 'saint').replace(/\bste\b/g, 'sainte').replace(/[^a-z0-9]+/g, ' ').trim()
}

/** "1 234,56" / "12,5" → a number; anything else stays text. */
export function parseFrenchNumber(input: string): number | null {
  const s = input.trim()
  if (!/^-?\d{1,3}([ \u00a0\u202f.]?\d{3})*(,\d+)?$/.test(s) || !s.includes(',')) return null
  return Number(s.replace(/[ \u00a0\u202f.]/g, '').replace(',', '.'))
}

const FORMULA = /^[=@]|^[+-][^\d\s]/
const HTML = /<\s*\/?\s*[a-z!][^>]*>|javascript:/i
const TRUE = new Set(['1', 'oui', 'yes', 'vrai', 'true', 'x', 'o', 'y'])

/**
 * Applies the mapping to one row. `width`: the number of header columns (a row
 * with more non-empty cells is misaligned and rejected).
 */
export function normalizeRow(cells: string[], headers: string[], mapping: Mapping, communes?: Communes): NormalizedRow {
  const contact: ImportContact = { tags: [], custom_fields: {} }
  const warnings: RowIssue[] = []
  const reject = (field: string, code: RejectReason, value?: string): NormalizedRow =>
    ({ contact, error: { field, code, value: value?.slice(0, 80) }, warnings })

  if (cells.length > headers.length && cells.slice(headers.length).some((c) => c.trim() !== '')) {
    return reject('row', 'too_many_cells', String(cells.length))
  }
  if (cells.length < headers.length) warnings.push({ field: 'row', code: 'missing_cells', value: String(cells.length) })

  let fullName: string | null = null
  for (let i = 0; i < headers.length; i++) {
    const target = mapping[headers[i]!]
    const raw = (cells[i] ?? '').trim()
    if (!target || target === 'ignore' || raw === '') continue
    const field: string = target
    if (FORMULA.test(raw) && target !== 'phone') return reject(field, 'formula', raw)
    if (HTML.test(raw)) return reject(field, 'html', raw)
    if (target.startsWith('custom:')) {
      if (raw.length > MAX_CUSTOM_LENGTH) return reject(field, 'too_long', String(raw.length))
      const key = target.slice(7)
      const num = parseFrenchNumber(raw)
      contact.custom_fields![key] = num ?? raw
      continue
    }
    const max = MAX_LENGTH[target as ContactField]
    if (max && raw.length > max) return reject(target, 'too_long', String(raw.length))
    switch (target) {
      case 'first_name': case 'last_name': contact[target] = capitalizeName(raw); break
      case 'full_name': fullName = capitalizeName(raw); break
      case 'company_name': case 'job_title': case 'address_line': contact[target] = raw.replace(/\s+/g, ' '); break
      case 'city': contact.city = capitalizeName(raw); break
      case 'email': {
        const e = normalizeEmail(raw)
        if (!e.valid) return reject('email', 'invalid_email', raw)
        if (e.suggestion) warnings.push({ field: 'email', code: 'email_corrected', value: raw, suggestion: e.email! })
        contact.email = e.email
        break
      }
      case 'phone': {
        const p = normalizePhone(raw)
        if (p === false) return reject('phone', 'invalid_phone', raw)
        contact.phone = p
        break
      }
      case 'siret': {
        const s = cleanDigits(raw)
        // a SIRET's first 9 digits are its SIREN, which has its own check digit (La Poste aside)
        if (siretProblem(s) || (!s.startsWith('356000000') && !isValidSiren(s.slice(0, 9)))) return reject('siret', 'invalid_siret', raw)
        contact.siret = s
        break
      }
      case 'siren': {
        const s = cleanDigits(raw)
        if (!isValidSiren(s)) return reject('siren', 'invalid_siren', raw)
        contact.siren = s
        break
      }
      case 'naf_code': {
        const m = /^(\d{2})\.?(\d{2})\s*([a-z])$/i.exec(raw.replace(/\s/g, ''))
        if (!m) return reject('naf_code', 'invalid_naf', raw)
        contact.naf_code = `${m[1]}.${m[2]}${m[3]!.toUpperCase()}`
        break
      }
      case 'postal_code': {
        let pc = raw.replace(/\s/g, '')
        if (/^\d{4}$/.test(pc)) { pc = '0' + pc; warnings.push({ field: 'postal_code', code: 'postal_code_padded', value: raw, suggestion: pc }) }
        contact.postal_code = pc
        break
      }
      case 'country': contact.country = raw.length === 2 ? raw.toUpperCase() : /^france$/i.test(raw) ? 'FR' : raw.toUpperCase().slice(0, 2); break
      case 'tags': contact.tags = [...new Set(raw.split(/[,;|]/).map((t) => t.trim()).filter(Boolean).map((t) => t.slice(0, 50)))]; break
      case 'lifecycle_stage': contact.lifecycle_stage = raw.toLowerCase(); break
      case 'do_not_contact': contact.do_not_contact = TRUE.has(raw.toLowerCase()); break
      case 'email_opt_out': contact.email_opt_out = TRUE.has(raw.toLowerCase()); break
      case 'sms_opt_out': contact.sms_opt_out = TRUE.has(raw.toLowerCase()); break
    }
  }

  if (fullName && !contact.first_name && !contact.last_name) {
    const parts = fullName.split(' ')
    if (parts.length === 1) contact.last_name = parts[0]
    else { contact.first_name = parts[0]; contact.last_name = parts.slice(1).join(' ') }
  }

  const country = contact.country ?? 'FR'
  if (contact.postal_code && country === 'FR') {
    if (!/^\d{5}$/.test(contact.postal_code) && !/^2[ab]\d{3}$/i.test(contact.postal_code)) return reject('postal_code', 'invalid_postal_code', contact.postal_code)
    const known = communes?.get(contact.postal_code)
    if (known?.length) {
      if (!contact.city && known.length === 1) {
        contact.city = known[0]!.name
        warnings.push({ field: 'city', code: 'city_filled', suggestion: known[0]!.name })
      } else if (contact.city && !known.some((c) => c.key === cityKey(contact.city!))) {
        warnings.push({ field: 'city', code: 'city_mismatch', value: contact.city, suggestion: known.map((c) => c.name).slice(0, 3).join(', ') })
      }
    }
  }
  if (contact.siret && !contact.siren) contact.siren = contact.siret.slice(0, 9)
  if (contact.siret && contact.siren && contact.siret.slice(0, 9) !== contact.siren) return reject('siren', 'invalid_siren', contact.siren)

  const hasPerson = Boolean(contact.first_name || contact.last_name)
  contact.kind = contact.company_name && !hasPerson ? 'company' : 'person'
  if (!hasPerson && !contact.company_name && !contact.email && !contact.phone) return reject('identity', 'missing_identity')
  return { contact, error: null, warnings }
}

/** A row with only empty cells (skipped, not counted). */
export function isBlankRow(cells: string[]): boolean {
  return cells.every((c) => c.trim() === '')
}
