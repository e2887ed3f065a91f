import { describe, expect, it } from 'vitest'
import {
  applyDealRow, buildColumns, compareDeals, daysInStage, dealRowSchema, dropPlacement, emptyFilters, formatDealMoney, keyboardStep,
  matchesFilters, mergeDealEdits, overlayPending, parseBoardDeals, rankBetween, scoreBand, type BoardDeal, type BoardStage,
} from '../../composables/usePipelineModel'

const NOW = Date.parse('2026-12-07T12:00:00Z')
const stages: BoardStage[] = [
  { id: 's1', name: 'Prospect', position: 1, probability: 10, kind: 'open' },
  { id: 's2', name: 'Contacté', position: 2, probability: 20, kind: 'open' },
  { id: 'sw', name: 'Gagné', position: 3, probability: 100, kind: 'won' },
  { id: 'sl', name: 'Perdu', position: 4, probability: 0, kind: 'lost' },
]
function deal(id: string, over: Partial<BoardDeal> = {}): BoardDeal {
  return parseBoardDeals([{
    id, stage_id: 's1', rank: 0, version: 1, title: `Affaire ${id}`, value: 100000, currency: 'EUR', probability: null,
    expected_close_date: null, owner_id: 'u1', stage_entered_at: '2026-12-01T12:00:00Z', closed_at: null, lost_reason: null,
    won_amount: null, created_at: '2026-11-01T00:00:00Z', contact_id: 'c1', contact_name: 'Anne Aubert', company_name: null,
    contact_deleted: false, last_contacted_at: null, source: 'site_web', score: null, score_label: null, base_ids: [], ...over,
  }])[0]!
}
const row = (d: BoardDeal, over: Record<string, unknown> = {}) =>
  dealRowSchema.parse({ ...d, pipeline_id: 'p1', board_rank: d.rank, ...over })

describe('parsing the board', () => {
  it('keeps valid cards, drops malformed ones, never yields NaN', () => {
    const list = parseBoardDeals([
      { ...deal('a'), value: 'abc' },
      { id: 'broken' },
      { ...deal('b'), value: null, base_ids: null, score: '72' },
    ])
    expect(list.map((d) => d.id)).toEqual(['a', 'b'])
    expect(list[0]!.value).toBeNull()
    expect(list[1]!.base_ids).toEqual([])
    expect(list[1]!.score).toBe(72)
    expect(parseBoardDeals(null)).toEqual([])
  })
})

describe('ordering', () => {
  it('manual order follows the rank, ties by id', () => {
    const list = [deal('b', { rank: 2 }), deal('a', { rank: 2 }), deal('c', { rank: -5 })].sort(compareDeals('manual'))
    expect(list.map((d) => d.id)).toEqual(['c', 'a', 'b'])
  })
  it('value sorts put deals without value last in both directions', () => {
    const list = [deal('a', { value: null }), deal('b', { value: 5 }), deal('c', { value: 50 })]
    expect([...list].sort(compareDeals('value_desc')).map((d) => d.id)).toEqual(['c', 'b', 'a'])
    expect([...list].sort(compareDeals('value_asc')).map((d) => d.id)).toEqual(['b', 'c', 'a'])
  })
  it('days in stage: the oldest entry first; last contact: the most recent first', () => {
    const a = deal('a', { stage_entered_at: '2026-01-01T00:00:00Z', last_contacted_at: '2026-12-01T00:00:00Z' })
    const b = deal('b', { stage_entered_at: '2026-06-01T00:00:00Z', last_contacted_at: null })
    const c = deal('c', { stage_entered_at: '2026-03-01T00:00:00Z', last_contacted_at: '2026-12-05T00:00:00Z' })
    expect([b, c, a].sort(compareDeals('days_in_stage')).map((d) => d.id)).toEqual(['a', 'c', 'b'])
    expect([b, a, c].sort(compareDeals('last_contact')).map((d) => d.id)).toEqual(['c', 'a', 'b'])
  })
})

describe('columns and totals', () => {
  it('counts and sums per stage, EUR only, with the weighted value', () => {
    const cols = buildColumns(stages, [
      deal('a', { value: 200000 }),
      deal('b', { value: 100000, probability: 50 }),
      deal('c', { value: null }),
      deal('d', { value: 90000, currency: 'CHF' }),
      deal('e', { stage_id: 'sw', value: 300000 }),
      deal('x', { stage_id: 'unknown-stage' }),
    ], emptyFilters(), 'manual')
    expect(cols.map((c) => c.count)).toEqual([4, 0, 1, 0])
    expect(cols[0]).toMatchObject({ total: 300000, weighted: 20000 + 50000, otherCurrency: 1, withoutValue: 1 })
    expect(cols[2]!.total).toBe(300000)
    expect(cols.every((c) => Number.isFinite(c.total) && Number.isFinite(c.weighted))).toBe(true)
  })
  it('a won column sums the signed amounts (won_amount, else the value), as the reports do', () => {
    const cols = buildColumns(stages, [
      deal('w1', { stage_id: 'sw', value: 850000, won_amount: 800000 }),
      deal('w2', { stage_id: 'sw', value: 300000, won_amount: null }),
    ], emptyFilters(), 'manual')
    expect(cols[2]!.total).toBe(1_100_000)
  })
  it('filters apply before the totals', () => {
    const f = { ...emptyFilters(), minValue: 150000 }
    const cols = buildColumns(stages, [deal('a', { value: 200000 }), deal('b', { value: 100000 }), deal('c', { value: null })], f, 'manual')
    expect(cols[0]).toMatchObject({ count: 1, total: 200000 })
  })
})

describe('filters', () => {
  it('search is accent- and case-insensitive over title, contact and company, every word', () => {
    const d = deal('a', { title: 'Duplex Neuilly', contact_name: 'Hélène Dupré', company_name: 'SCI Étoile' })
    expect(matchesFilters(d, { ...emptyFilters(), search: 'helene etoile' })).toBe(true)
    expect(matchesFilters(d, { ...emptyFilters(), search: 'helene levallois' })).toBe(false)
  })
  it('owner, base, source and score bands', () => {
    const d = deal('a', { owner_id: 'u2', base_ids: ['b1', 'b2'], source: 'salon', score: 75 })
    expect(matchesFilters(d, { ...emptyFilters(), ownerIds: ['u1'] })).toBe(false)
    expect(matchesFilters(d, { ...emptyFilters(), ownerIds: ['u1', 'u2'], baseIds: ['b2'], sources: ['salon'], scores: ['hot'] })).toBe(true)
    expect(matchesFilters(deal('b'), { ...emptyFilters(), scores: ['none'] })).toBe(true)
    expect(scoreBand({ score: 45, score_label: null })).toBe('warm')
    expect(scoreBand({ score: 10, score_label: 'hot' })).toBe('hot')
  })
})

describe('positions', () => {
  it('ranks fall strictly between neighbours', () => {
    expect(rankBetween(null, null)).toBe(0)
    expect(rankBetween(null, 10)).toBeLessThan(10)
    expect(rankBetween(10, null)).toBeGreaterThan(10)
    const r = rankBetween(1, 2)
    expect(r > 1 && r < 2).toBe(true)
  })
  it('a drop names the card above as anchor, ignoring the moving card itself', () => {
    const list = [deal('a', { rank: 0 }), deal('m', { rank: 1 }), deal('b', { rank: 2 }), deal('c', { rank: 3 })]
    expect(dropPlacement(list, 0, 'm')).toEqual({ afterId: null, rank: -1024 })
    expect(dropPlacement(list, 2, 'm')).toEqual({ afterId: 'b', rank: 2.5 })
    expect(dropPlacement(list, 99, 'm')).toEqual({ afterId: 'c', rank: 3 + 1024 })
  })
  it('keyboard steps stay inside the board', () => {
    const cols = [{ deals: [deal('a'), deal('b')] }, { deals: [] }, { deals: [deal('c')] }]
    expect(keyboardStep(cols, { col: 0, index: 0 }, 'ArrowLeft', 'a')).toEqual({ col: 0, index: 0 })
    expect(keyboardStep(cols, { col: 0, index: 1 }, 'ArrowRight', 'a')).toEqual({ col: 1, index: 0 })
    expect(keyboardStep(cols, { col: 2, index: 0 }, 'ArrowDown', 'a')).toEqual({ col: 2, index: 1 })
    expect(keyboardStep(cols, { col: 2, index: 1 }, 'ArrowDown', 'a')).toEqual({ col: 2, index: 1 })
    expect(keyboardStep(cols, { col: 0, index: 0 }, 'ArrowDown', 'a')).toEqual({ col: 0, index: 1 })
    expect(keyboardStep(cols, { col: 0, index: 1 }, 'ArrowDown', 'a')).toEqual({ col: 0, index: 1 })
  })
})

describe('optimistic reconciliation', () => {
  it('a pending move shows until its answer; newer server rows win, stale echoes are ignored', () => {
    const a = deal('a', { version: 3 })
    const deals: Record<string, BoardDeal> = { a }
    const pending = { a: { stageId: 's2', rank: 5, baseVersion: 3, opId: 1 } }
    expect(overlayPending(deals, pending)[0]).toMatchObject({ stage_id: 's2', rank: 5 })
    // Someone's edit arrives (v4) while our move is pending: the server copy updates, the overlay still shows our move.
    expect(applyDealRow(deals, row(a, { version: 4, title: 'Renommée' }), 'p1').changed).toBe(true)
    expect(overlayPending(deals, pending)[0]).toMatchObject({ stage_id: 's2', title: 'Renommée' })
    // Our move's answer (v5) lands; then a late Realtime echo of v4 must not undo it.
    applyDealRow(deals, row(deals.a!, { version: 5, stage_id: 's2', board_rank: 7 }), 'p1')
    expect(applyDealRow(deals, row(a, { version: 4 }), 'p1').changed).toBe(false)
    expect(overlayPending(deals, {})[0]).toMatchObject({ stage_id: 's2', rank: 7, version: 5 })
  })
  it('a row from another pipeline removes the card; an unknown deal asks for its card', () => {
    const deals: Record<string, BoardDeal> = { a: deal('a') }
    expect(applyDealRow(deals, row(deal('a'), { version: 2, pipeline_id: 'p2' }), 'p1')).toMatchObject({ removed: true })
    expect(deals.a).toBeUndefined()
    expect(applyDealRow(deals, row(deal('z')), 'p1')).toMatchObject({ needsCard: true })
  })
  it('a changed contact asks for the card again', () => {
    const deals: Record<string, BoardDeal> = { a: deal('a') }
    expect(applyDealRow(deals, row(deal('a'), { version: 2, contact_id: 'c9' }), 'p1').needsCard).toBe(true)
  })
})

describe('deal edits after a conflict', () => {
  it('re-applies my changes, keeps theirs, reports both-sided changes', () => {
    const base = { title: 'Loft', value: 100, owner_id: 'u1', expected_close_date: null }
    const mine = { title: 'Loft 80 m²', value: 120, owner_id: 'u1', expected_close_date: '2027-01-15' }
    const theirs = { title: 'Loft', value: 150, owner_id: 'u2', expected_close_date: '2027-01-15' }
    expect(mergeDealEdits(base, mine, theirs)).toEqual({ patch: { title: 'Loft 80 m²', expected_close_date: '2027-01-15' }, conflicts: ['value'] })
  })
})

describe('display helpers', () => {
  it('days in stage are whole, never negative', () => {
    expect(daysInStage({ stage_entered_at: '2026-12-01T12:00:00Z' }, NOW)).toBe(6)
    expect(daysInStage({ stage_entered_at: '2027-01-01T00:00:00Z' }, NOW)).toBe(0)
    expect(daysInStage({ stage_entered_at: 'garbage' }, NOW)).toBe(0)
  })
  it('money: null stays null, foreign currencies keep their symbol', () => {
    expect(formatDealMoney(null, 'EUR', 'fr-FR')).toBeNull()
    expect(formatDealMoney(Number.NaN, 'EUR', 'fr-FR')).toBeNull()
    expect(formatDealMoney(850000, 'EUR', 'fr-FR')).toMatch(/850\s000\s€/)
    expect(formatDealMoney(1000, 'CHF', 'fr-FR')).toMatch(/CHF/)
  })
})
