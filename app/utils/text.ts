/** Lower case without accents, for client-side matching ("Évry" ~ "evry"). */
export function normalizeSearch(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim()
}

/** A DNS-safe slug from an agency name ("Agence Étoile & Fils" → "agence-etoile-fils"). */
export function slugify(s: string, max = 48): string {
  const base = normalizeSearch(s).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-').slice(0, max).replace(/-+$/, '')
  return base.length >= 3 ? base : `${base || 'agence'}-${Math.random().toString(36).slice(2, 6)}`
}
