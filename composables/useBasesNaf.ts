import nafAll from '@socialgouv/codes-naf/index.json'

export interface NafCode { code: string; label: string }

/** NAF sub-classes (00.00X) with their French labels, from @socialgouv/codes-naf. */
export const NAF_CODES: NafCode[] = (nafAll as { id: string; label: string }[])
  .filter((x) => /^\d{2}\.\d{2}[A-Z]$/.test(x.id))
  .map((x) => ({ code: x.id, label: x.label }))

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()

/** Maps free text ("agence immobilière", "6831", "68.31Z") to NAF codes, best matches first. */
export function searchNaf(query: string, limit = 20): NafCode[] {
  const q = fold(query.trim())
  if (!q) return []
  const compact = q.replace(/[\s.]/g, '').toUpperCase()
  if (/^\d{2,4}[A-Z]?$/.test(compact)) {
    return NAF_CODES.filter((n) => n.code.replace('.', '').startsWith(compact)).slice(0, limit)
  }
  const words = q.split(/\s+/).filter((w) => w.length > 1).map((w) => w.replace(/s$/, ''))
  return NAF_CODES
    .map((n) => ({ n, label: fold(n.label) }))
    .filter(({ label }) => words.every((w) => label.includes(w)))
    .sort((a, b) => a.label.indexOf(words[0]) - b.label.indexOf(words[0]) || a.label.length - b.label.length)
    .slice(0, limit)
    .map(({ n }) => n)
}

export function nafLabel(code: string): string {
  return NAF_CODES.find((n) => n.code === code)?.label ?? code
}

/** Suggested sectors for a real-estate agency's prospecting. */
export const SUGGESTED_NAF = ['68.31Z', '68.20A', '68.20B', '68.32A', '41.10A', '71.11Z']
