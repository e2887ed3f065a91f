import { normalizeSearch } from './text'

export const SPECIALISATIONS = ['residential', 'commercial', 'luxury', 'rental'] as const
export type Specialisation = (typeof SPECIALISATIONS)[number]

/**
 * A first guess of the agency's specialisations from its name and NAF code;
 * the user edits it. NAF 68.20B (letting of non-residential property) and
 * business words point to commercial; 68.20A / 68.32A (letting, property
 * management) to rental; prestige words to luxury; otherwise residential.
 */
export function guessSpecialisations(name: string, naf?: string | null): Specialisation[] {
  const n = normalizeSearch(name)
  const out = new Set<Specialisation>()
  if (/\b(luxe|prestige|premium|exception|patrimoine|chateaux?|demeures?)\b/.test(n)) out.add('luxury')
  if (/\b(entreprises?|commerces?|commercial|bureaux|locaux|fonds de commerce|tertiaire|professionnel)\b/.test(n) || naf === '68.20B') out.add('commercial')
  if (/\b(location|locations|gestion|syndic|gerance|administration de biens)\b/.test(n) || naf === '68.20A' || naf === '68.32A') out.add('rental')
  if (!out.size || (naf === '68.31Z' && !out.has('commercial'))) out.add('residential')
  return SPECIALISATIONS.filter((s) => out.has(s))
}
