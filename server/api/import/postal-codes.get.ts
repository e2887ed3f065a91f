import { createRequire } from 'node:module'

interface Commune { nom: string; type: string; codesPostaux?: string[] }
let cache: string | undefined

/**
 * Postal code → commune names, for the import's postal code ↔ city check
 * (INSEE communes and municipal arrondissements via @etalab/decoupage-administratif).
 * Compact: {"75008": ["Paris 8e Arrondissement", "Paris"], …}; built once, cached a day by browsers.
 */
export default defineEventHandler((event) => {
  if (!cache) {
    const require = createRequire(import.meta.url)
    const all = require('@etalab/decoupage-administratif/data/communes.json') as Commune[]
    const map: Record<string, string[]> = {}
    for (const c of all) {
      if (c.type !== 'commune-actuelle' && c.type !== 'arrondissement-municipal') continue
      for (const pc of c.codesPostaux ?? []) {
        const names = (map[pc] ??= [])
        if (!names.includes(c.nom)) names.push(c.nom)
        // "Paris 8e Arrondissement" is also written "Paris" in address books
        const city = c.type === 'arrondissement-municipal' ? c.nom.replace(/ \d+(er|e) Arrondissement$/i, '') : null
        if (city && !names.includes(city)) names.push(city)
      }
    }
    cache = JSON.stringify(map)
  }
  setHeader(event, 'content-type', 'application/json; charset=utf-8')
  setHeader(event, 'cache-control', 'public, max-age=86400')
  return cache
})
