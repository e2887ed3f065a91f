import { describe, expect, it } from 'vitest'
import { segmentCursorOf, segmentFilterProblem, SEGMENT_FIELD_TYPES, SEGMENT_OPS, segmentFiltersForDb, type SegmentContactRow } from '~~/composables/useSegments'

describe('segment filters', () => {
  it('accepts well-formed filters of every type', () => {
    expect(segmentFilterProblem({ field: 'city', op: 'eq', value: 'Paris' })).toBeNull()
    expect(segmentFilterProblem({ field: 'has_email', op: 'is_true' })).toBeNull()
    expect(segmentFilterProblem({ field: 'score', op: 'gte', value: 60 })).toBeNull()
    expect(segmentFilterProblem({ field: 'last_activity_at', op: 'within_days', value: 30 })).toBeNull()
    expect(segmentFilterProblem({ field: 'tags', op: 'contains_any', value: ['vendeur'] })).toBeNull()
    expect(segmentFilterProblem({ field: 'base', op: 'in', value: ['b1'] })).toBeNull()
    expect(segmentFilterProblem({ field: 'custom.budget', op: 'eq', value: '500000' })).toBeNull()
  })
  it('names the problem of a bad filter', () => {
    expect(segmentFilterProblem({ field: 'password', op: 'eq', value: 'x' })).toBe('bases.segments.errors.field')
    expect(segmentFilterProblem({ field: 'score', op: 'contains', value: 'x' })).toBe('bases.segments.errors.operator')
    expect(segmentFilterProblem({ field: 'city', op: 'eq', value: '  ' })).toBe('bases.segments.errors.value')
    expect(segmentFilterProblem({ field: 'score', op: 'gte', value: 140 })).toBe('bases.segments.errors.score')
    expect(segmentFilterProblem({ field: 'created_at', op: 'within_days', value: 0 })).toBe('bases.segments.errors.days')
    expect(segmentFilterProblem({ field: 'tags', op: 'contains_any', value: [] })).toBe('bases.segments.errors.value')
  })
  it('offers operators for every field type', () => {
    for (const type of Object.values(SEGMENT_FIELD_TYPES)) expect(SEGMENT_OPS[type].length).toBeGreaterThan(0)
  })
  it('sends no value for value-less operators and trims text', () => {
    expect(segmentFiltersForDb([{ field: 'has_phone', op: 'is_true', value: 'ignored' }, { field: 'city', op: 'eq', value: ' Paris ' }]))
      .toEqual([{ field: 'has_phone', op: 'is_true' }, { field: 'city', op: 'eq', value: 'Paris' }])
  })
  it('builds the keyset cursor of the order in use', () => {
    const row = { id: 'c9', last_activity_at: '2026-12-01T10:00:00Z', score: null } as SegmentContactRow
    expect(segmentCursorOf(row, 'recent')).toEqual({ last_activity_at: '2026-12-01T10:00:00Z', id: 'c9' })
    expect(segmentCursorOf(row, 'score')).toEqual({ score: -1, id: 'c9' })
  })
})
