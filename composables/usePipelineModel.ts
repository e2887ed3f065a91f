import { z } from 'zod'

/**
 * The board's logic as pure functions (no Nuxt, no Supabase): parsing the
 * board RPC, filters, sorting, column totals, ranks for optimistic moves,
 * reconciliation of server rows (RPC answers and Realtime) with pending moves,
 * keyboard moves and the three-way merge of deal edits. Unit-tested in
 * tests/unit/pipeline-model.test.ts; rules in docs/pipeline.md.
 */

export type StageKind = 'open' | 'won' | 'lost'
export interface BoardStage { id: string; name: string; position: number; probability: number; kind: StageKind }

/** A finite number or null: NaN, Infinity, '' and garbage become null, never NaN downstream. */
export function finiteOrNull(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) ? n : null
}

const num = z.unknown().transform(finiteOrNull)
const str = z.string().nullable().optional().transform((v) => v ?? null)

export const boardDealSchema = z.object({
  id: z.string(),
  stage_id: z.string(),
  rank: z.unknown().transform((v) => finiteOrNull(v) ?? 0),
  version: z.number().int(),
  title: z.string(),
  value: num,
  currency: z.string().default('EUR'),
  probability: num,
  expected_close_date: str,
  owner_id: str,
  stage_entered_at: z.string(),
  closed_at: str,
  lost_reason: str,
  won_amount: num,
  created_at: z.string(),
  contact_id: str,
  contact_name: str,
  company_name: str,
  contact_deleted: z.boolean().nullable().optional().transform((v) => v ?? false),
  last_contacted_at: str,
  source: str,
  score: num,
  score_label: z.enum(['cold', 'warm', 'hot']).nullable().optional().transform((v) => v ?? null),
  base_ids: z.array(z.string()).nullable().optional().transform((v) => v ?? []),
})
export type BoardDeal = z.infer<typeof boardDealSchema>

/** The board RPC's JSON, validated; a malformed card is dropped rather than crashing the board. */
export function parseBoardDeals(json: unknown): BoardDeal[] {
  if (!Array.isArray(json)) return []
  const out: BoardDeal[] = []
  for (const row of json) {
    const r = boardDealSchema.safeParse(row)
    if (r.success) out.push(r.data)
  }
  return out
}

/** A `deals` table row as move_deal and Realtime deliver it. */
export const dealRowSchema = z.object({
  id: z.string(),
  pipeline_id: z.string(),
  stage_id: z.string(),
  board_rank: z.unknown().transform((v) => finiteOrNull(v) ?? 0),
  version: z.number().int(),
  title: z.string(),
  value: num,
  currency: z.string().default('EUR'),
  probability: num,
  expected_close_date: str,
  owner_id: str,
  stage_entered_at: z.string(),
  closed_at: str,
  lost_reason: str,
  won_amount: num,
  contact_id: str,
}).passthrough()
export type DealRow = z.infer<typeof dealRowSchema>

// ---------------------------------------------------------------- reconciliation

export interface PendingMove { stageId: string; rank: number; baseVersion: number; opId: number }

/**
 * Applies a server row (RPC answer or Realtime change) to the known deals. Rows
 * are applied only when newer (version strictly greater): a late Realtime echo
 * of an older state never undoes a newer one. Returns `needsCard` when the row
 * names a deal we have no card for, or its contact changed (the caller reloads
 * the card's contact fields), and `removed` when it left the pipeline.
 */
export function applyDealRow(
  deals: Record<string, BoardDeal>,
  row: DealRow,
  pipelineId: string,
): { changed: boolean; needsCard: boolean; removed: boolean } {
  const known = deals[row.id]
  if (row.pipeline_id !== pipelineId) {
    if (known) {
      delete deals[row.id]
      return { changed: true, needsCard: false, removed: true }
    }
    return { changed: false, needsCard: false, removed: false }
  }
  if (!known) return { changed: false, needsCard: true, removed: false }
  if (row.version <= known.version) return { changed: false, needsCard: false, removed: false }
  deals[row.id] = {
    ...known,
    stage_id: row.stage_id,
    rank: row.board_rank,
    version: row.version,
    title: row.title,
    value: row.value,
    currency: row.currency,
    probability: row.probability,
    expected_close_date: row.expected_close_date,
    owner_id: row.owner_id,
    stage_entered_at: row.stage_entered_at,
    closed_at: row.closed_at,
    lost_reason: row.lost_reason,
    won_amount: row.won_amount,
  }
  return { changed: true, needsCard: row.contact_id !== known.contact_id, removed: false }
}

/** What the board shows: the server's deals with the pending (optimistic) moves laid over them. */
export function overlayPending(deals: Record<string, BoardDeal>, pending: Record<string, PendingMove>): BoardDeal[] {
  return Object.values(deals).map((d) => {
    const p = pending[d.id]
    return p ? { ...d, stage_id: p.stageId, rank: p.rank } : d
  })
}

// ---------------------------------------------------------------- filters and sort

export type ScoreBand = 'hot' | 'warm' | 'cold' | 'none'
export interface BoardFilters {
  search: string
  ownerIds: string[]
  baseIds: string[]
  sources: string[]
  scores: ScoreBand[]
  minValue: number | null
  maxValue: number | null
}
export const emptyFilters = (): BoardFilters => ({ search: '', ownerIds: [], baseIds: [], sources: [], scores: [], minValue: null, maxValue: null })
export function activeFilterCount(f: BoardFilters): number {
  return [f.search.trim() !== '', f.ownerIds.length > 0, f.baseIds.length > 0, f.sources.length > 0, f.scores.length > 0, f.minValue !== null || f.maxValue !== null]
    .filter(Boolean).length
}

/** hot ≥ 70, warm ≥ 40, cold below (the scoring labels when present win). */
export function scoreBand(d: Pick<BoardDeal, 'score' | 'score_label'>): ScoreBand {
  if (d.score_label) return d.score_label
  if (d.score === null) return 'none'
  return d.score >= 70 ? 'hot' : d.score >= 40 ? 'warm' : 'cold'
}

/** Lower-case without accents, for search. */
export function foldForSearch(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
}

export function matchesFilters(d: BoardDeal, f: BoardFilters): boolean {
  const q = foldForSearch(f.search.trim())
  if (q) {
    const hay = foldForSearch([d.title, d.contact_name ?? '', d.company_name ?? ''].join(' '))
    if (!q.split(/\s+/).every((w) => hay.includes(w))) return false
  }
  if (f.ownerIds.length && !f.ownerIds.includes(d.owner_id ?? '')) return false
  if (f.baseIds.length && !d.base_ids.some((b) => f.baseIds.includes(b))) return false
  if (f.sources.length && !f.sources.includes(d.source ?? '')) return false
  if (f.scores.length && !f.scores.includes(scoreBand(d))) return false
  if (f.minValue !== null && (d.value === null || d.value < f.minValue)) return false
  if (f.maxValue !== null && (d.value === null || d.value > f.maxValue)) return false
  return true
}

export type BoardSort = 'manual' | 'value_desc' | 'value_asc' | 'days_in_stage' | 'last_contact' | 'score' | 'close_date'
export const BOARD_SORTS: BoardSort[] = ['manual', 'value_desc', 'value_asc', 'days_in_stage', 'last_contact', 'score', 'close_date']

const time = (iso: string | null) => (iso ? new Date(iso).getTime() : Number.NaN)
/** Nulls last in every order; ties by rank then id so the order is stable. */
export function compareDeals(sort: BoardSort): (a: BoardDeal, b: BoardDeal) => number {
  const tie = (a: BoardDeal, b: BoardDeal) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const by = (key: (d: BoardDeal) => number | null, dir: 1 | -1) => (a: BoardDeal, b: BoardDeal) => {
    const va = key(a)
    const vb = key(b)
    const na = va === null || Number.isNaN(va)
    const nb = vb === null || Number.isNaN(vb)
    if (na || nb) return na && nb ? tie(a, b) : na ? 1 : -1
    return (va - vb) * dir || tie(a, b)
  }
  switch (sort) {
    case 'value_desc': return by((d) => d.value, -1)
    case 'value_asc': return by((d) => d.value, 1)
    case 'days_in_stage': return by((d) => time(d.stage_entered_at), 1)
    case 'last_contact': return by((d) => time(d.last_contacted_at), -1)
    case 'score': return by((d) => d.score, -1)
    case 'close_date': return by((d) => time(d.expected_close_date), 1)
    default: return tie
  }
}

// ---------------------------------------------------------------- columns

export interface Column {
  stage: BoardStage
  deals: BoardDeal[]
  count: number
  /** Sum of the EUR values (deals without value count as 0); a won column sums what was signed, coalesce(won_amount, value), as the reports do. */
  total: number
  /** Sum of EUR value × probability (the deal's, else the stage's). */
  weighted: number
  /** Deals in another currency, shown but left out of the totals. */
  otherCurrency: number
  withoutValue: number
}

export function buildColumns(stages: BoardStage[], deals: BoardDeal[], filters: BoardFilters, sort: BoardSort): Column[] {
  const byStage = new Map<string, BoardDeal[]>(stages.map((s) => [s.id, []]))
  for (const d of deals) if (matchesFilters(d, filters)) byStage.get(d.stage_id)?.push(d)
  const cmp = compareDeals(sort)
  return [...stages].sort((a, b) => a.position - b.position).map((stage) => {
    const list = byStage.get(stage.id)!.sort(cmp)
    let total = 0
    let weighted = 0
    let otherCurrency = 0
    let withoutValue = 0
    for (const d of list) {
      const amount = stage.kind === 'won' ? (d.won_amount ?? d.value) : d.value
      if (amount === null) withoutValue++
      else if (d.currency !== 'EUR') otherCurrency++
      else {
        total += amount
        weighted += (amount * (d.probability ?? stage.probability)) / 100
      }
    }
    return { stage, deals: list, count: list.length, total, weighted, otherCurrency, withoutValue }
  })
}

/** Whole days since the deal entered its stage (0 for today or a future/invalid date). */
export function daysInStage(d: Pick<BoardDeal, 'stage_entered_at'>, now: number): number {
  const t = time(d.stage_entered_at)
  if (Number.isNaN(t)) return 0
  return Math.max(0, Math.floor((now - t) / 86_400_000))
}

// ---------------------------------------------------------------- positions

/** A rank strictly between two neighbours (either may be missing). */
export function rankBetween(above: number | null, below: number | null): number {
  if (above === null && below === null) return 0
  if (above === null) return below! - 1024
  if (below === null) return above + 1024
  return (above + below) / 2
}

/**
 * Dropping `dealId` at `index` of a column's displayed list: the card above the
 * drop point (move_deal's anchor) and the optimistic rank. The moving card is
 * left out of the list first, so dropping it back where it was is a no-op rank.
 */
export function dropPlacement(list: BoardDeal[], index: number, dealId: string): { afterId: string | null; rank: number } {
  const others = list.filter((d) => d.id !== dealId)
  const i = Math.max(0, Math.min(index, others.length))
  const above = others[i - 1] ?? null
  const below = others[i] ?? null
  return { afterId: above?.id ?? null, rank: rankBetween(above?.rank ?? null, below?.rank ?? null) }
}

/** Keyboard move of a lifted card: arrows change column (keeping the row when possible) or row. */
export function keyboardStep(
  columns: Pick<Column, 'deals'>[],
  at: { col: number; index: number },
  key: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End',
  dealId: string,
): { col: number; index: number } {
  const size = (c: number) => columns[c]!.deals.filter((d) => d.id !== dealId).length
  let { col, index } = at
  if (key === 'ArrowLeft') col = Math.max(0, col - 1)
  else if (key === 'ArrowRight') col = Math.min(columns.length - 1, col + 1)
  else if (key === 'ArrowUp') index -= 1
  else if (key === 'ArrowDown') index += 1
  else if (key === 'Home') index = 0
  else if (key === 'End') index = size(col)
  return { col, index: Math.max(0, Math.min(index, size(col))) }
}

// ---------------------------------------------------------------- edits

export type DealEdit = Partial<Record<'title' | 'value' | 'expected_close_date' | 'owner_id' | 'probability', string | number | null>>

/**
 * Three-way merge of a deal form after a version conflict: `base` is what the
 * form was opened with, `mine` what the user typed, `theirs` the row now in the
 * database. Fields only I changed are re-applied; fields only they changed keep
 * their value; a field both changed differently is a conflict (theirs is kept,
 * the caller tells the user). Nothing anyone typed is silently dropped.
 */
export function mergeDealEdits(base: DealEdit, mine: DealEdit, theirs: DealEdit): { patch: DealEdit; conflicts: (keyof DealEdit)[] } {
  const patch: DealEdit = {}
  const conflicts: (keyof DealEdit)[] = []
  for (const k of Object.keys(mine) as (keyof DealEdit)[]) {
    const mineChanged = mine[k] !== base[k]
    if (!mineChanged) continue
    const theirsChanged = theirs[k] !== base[k]
    if (!theirsChanged || theirs[k] === mine[k]) patch[k] = mine[k]!
    else conflicts.push(k)
  }
  return { patch, conflicts }
}

/** Money in its currency, whole euros; null → null (the caller shows "no value"). */
export function formatDealMoney(value: number | null, currency: string, locale: string, compact = false): string | null {
  if (value === null || !Number.isFinite(value)) return null
  const cur = /^[A-Z]{3}$/.test(currency) ? currency : 'EUR'
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: cur, maximumFractionDigits: compact ? 1 : 0, notation: compact ? 'compact' : 'standard' }).format(value)
  } catch {
    return `${Math.round(value)} ${cur}`
  }
}
