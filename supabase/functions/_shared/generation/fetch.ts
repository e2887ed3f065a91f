/**
 * Fetches a target from the companies provider, page by page, with a pause
 * between calls (recherche-entreprises allows 7 requests/s) and a cap on the
 * pages per search. Returns the rows to cache and the provider calls made.
 */
import type { CompaniesProvider } from '../providers/types.ts'
import { type EstablishmentRow, rowsFor, searchesFor, type Target } from './target.ts'

export interface FetchOptions {
  maxPagesPerSearch?: number
  pauseMs?: number
  sleep?: (ms: number) => Promise<void>
}

export interface FetchResult {
  rows: EstablishmentRow[]
  totalReported: number
  calls: number
  truncated: boolean
}

export async function fetchTarget(provider: CompaniesProvider, target: Target, opts: FetchOptions = {}): Promise<FetchResult> {
  const maxPages = opts.maxPagesPerSearch ?? 40
  const pause = opts.pauseMs ?? 150
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const bySiret = new Map<string, EstablishmentRow>()
  let calls = 0
  let totalReported = 0
  let truncated = false
  for (const search of searchesFor(target)) {
    for (let page = 1; page <= maxPages; page++) {
      if (calls > 0 && pause > 0) await sleep(pause)
      const res = await provider.search({ ...search, page })
      calls++
      if (page === 1) totalReported += res.total
      for (const c of res.results) for (const row of rowsFor(c, target)) bySiret.set(row.siret, row)
      if (page >= res.totalPages || res.results.length === 0) break
      if (page === maxPages) truncated = true
    }
  }
  return { rows: [...bySiret.values()], totalReported, calls, truncated }
}
