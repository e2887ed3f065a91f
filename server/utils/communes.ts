import { createRequire } from 'node:module'
import { normalizeSearch } from '~~/app/utils/text'

interface Commune { code: string; nom: string; type: string; codesPostaux?: string[]; population?: number }
export interface CommuneHit { code: string; label: string; postalCodes: string[] }
interface Entry extends CommuneHit { key: string; population: number }

let index: Entry[] | undefined

/** Communes and Paris/Lyon/Marseille arrondissements (INSEE, via @etalab/decoupage-administratif), loaded once. */
function load(): Entry[] {
  if (index) return index
  const require = createRequire(import.meta.url)
  const all = require('@etalab/decoupage-administratif/data/communes.json') as Commune[]
  index = all
    .filter((c) => c.type === 'commune-actuelle' || c.type === 'arrondissement-municipal')
    .map((c) => {
      const pcs = c.codesPostaux ?? []
      const label = pcs.length === 1 ? `${c.nom} (${pcs[0]})` : pcs.length ? `${c.nom} (${c.code.slice(0, 2)})` : c.nom
      return { code: c.code, label, postalCodes: pcs, key: normalizeSearch(`${c.nom} ${pcs.join(' ')}`), population: c.population ?? 0 }
    })
  return index
}

/** Prefix matches first, then word matches, larger communes first. Postal codes match too. */
export function searchCommunes(q: string, limit = 8): CommuneHit[] {
  const n = normalizeSearch(q).replace(/[-']/g, ' ')
  if (n.length < 2) return []
  const scored: [number, Entry][] = []
  for (const e of load()) {
    const key = e.key.replace(/[-']/g, ' ')
    const at = key.indexOf(n)
    if (at < 0) continue
    const rank = at === 0 ? 0 : key[at - 1] === ' ' ? 1 : 2
    scored.push([rank, e])
  }
  scored.sort((a, b) => a[0] - b[0] || b[1].population - a[1].population)
  return scored.slice(0, limit).map(([, e]) => ({ code: e.code, label: e.label, postalCodes: e.postalCodes }))
}
