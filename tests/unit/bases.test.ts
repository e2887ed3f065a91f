import { describe, expect, it } from 'vitest'
import { generationRequestSchema, parseAreaCodes, generationPreviewSchema } from '~~/composables/useBases'
import { NAF_CODES, nafLabel, searchNaf } from '~~/composables/useBasesNaf'
import { basesErrorCode } from '~~/composables/useBasesErrors'

describe('NAF codes', () => {
  it('lists the sub-classes with their French labels', () => {
    expect(NAF_CODES.length).toBeGreaterThan(700)
    expect(nafLabel('68.31Z')).toBe('Agences immobilières')
    expect(nafLabel('99.99Z')).toBe('99.99Z')
  })
  it('maps free text and partial codes to codes', () => {
    expect(searchNaf('agence immobiliere')[0]?.code).toBe('68.31Z')
    expect(searchNaf('Agences immobilières').map((n) => n.code)).toContain('68.31Z')
    expect(searchNaf('6831').map((n) => n.code)).toEqual(['68.31Z'])
    expect(searchNaf('68.3').map((n) => n.code)).toEqual(['68.31Z', '68.32A', '68.32B'])
    expect(searchNaf('')).toEqual([])
    expect(searchNaf('zzzz introuvable')).toEqual([])
  })
})

describe('area codes typed by the user', () => {
  it('separates postal codes and départements, deduplicates, and reports the rest', () => {
    expect(parseAreaCodes('75008, 75016;92 2A 75008')).toEqual({ postal_codes: ['75008', '75016'], departements: ['92', '2A'], invalid: [] })
    expect(parseAreaCodes('7500, Paris, 971').invalid).toEqual(['7500', 'PARIS'])
    expect(parseAreaCodes('').postal_codes).toEqual([])
  })
})

describe('generation request', () => {
  const ok = { name: 'Agences du 92', naf: ['68.31Z'], area: { communes: [], postal_codes: [], departements: ['92'] }, order: 'proximity' }
  it('accepts a sector and an area', () => {
    expect(generationRequestSchema.safeParse(ok).success).toBe(true)
  })
  it('names what is missing', () => {
    const r = generationRequestSchema.safeParse({ ...ok, naf: [], area: { communes: [], postal_codes: [], departements: [] }, name: ' ' })
    expect(r.success).toBe(false)
    expect(r.error!.issues.map((i) => i.message).sort()).toEqual(['area_required', 'naf_required', 'name_required'])
    expect(generationRequestSchema.safeParse({ ...ok, naf: ['6831Z'] }).success).toBe(false)
    expect(generationRequestSchema.safeParse({ ...ok, area: { ...ok.area, communes: ['Paris'] } }).success).toBe(false)
  })
  it('reads the preview the database returns', () => {
    const p = generationPreviewSchema.parse({
      id: 'g', status: 'ready', total: 3, excluded: 1, cache_hit: true, unlock_order: 'score', error: null,
      credits: { monthly: 100, used: 98, remaining: 2, renews_on: '2027-01-01' }, would_unlock: 2,
      sample: [{ rank: 1, name: 'AGENCE', naf: '68.31Z', address: '12 R••••', postal_code: '92200', city: 'Neuilly', phone: '••', email: '••', website: '••', fit_score: 80 }],
    })
    expect(p.would_unlock).toBe(2)
  })
})

describe('error codes', () => {
  it('recognises the feature’s RPC messages and unique-name violations', () => {
    expect(basesErrorCode({ code: '53400', message: 'generation_rate_limited' })).toBe('generation_rate_limited')
    expect(basesErrorCode({ code: '23505', message: 'duplicate key value violates unique constraint "segments_tenant_name_key"' })).toBe('segment_name_taken')
    expect(basesErrorCode({ code: '42501', message: 'insufficient_role' })).toBeNull()
    expect(basesErrorCode(null)).toBeNull()
  })
})
