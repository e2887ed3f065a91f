import { describe, expect, it } from 'vitest'
import { cleanDigits, formatSiret, isValidSiren, isValidSiret, siretProblem } from '~/utils/siret'

describe('SIRET check digits (same rule as private.is_valid_siret)', () => {
  it('accepts a real SIRET, with or without spaces', () => {
    expect(isValidSiret('73282932000074')).toBe(true)
    expect(isValidSiret('732 829 320 00074')).toBe(true)
  })
  it('says why a SIRET is refused: format or checksum', () => {
    expect(siretProblem('7328293200007')).toBe('format')
    expect(siretProblem('7328293200007A')).toBe('format')
    expect(siretProblem('73282932000075')).toBe('checksum')
    expect(siretProblem('')).toBe('format')
  })
  it("handles La Poste's establishments (digit sum multiple of 5)", () => {
    const sum = (s: string) => [...s].reduce((a, c) => a + Number(c), 0)
    const valid = Array.from({ length: 100 }, (_, i) => `356000000${String(i).padStart(5, '0')}`).filter((s) => sum(s) % 5 === 0)
    expect(valid.length).toBeGreaterThan(0)
    for (const s of valid) expect(isValidSiret(s)).toBe(true)
    expect(isValidSiret('35600000000001')).toBe(true) // digit sum 15, Luhn fails
    expect(isValidSiret('35600000000002')).toBe(false) // sum 16, and Luhn fails
  })
  it('validates SIRENs and formats SIRETs', () => {
    expect(isValidSiren('732829320')).toBe(true)
    expect(isValidSiren('732829321')).toBe(false)
    expect(cleanDigits('732.829-320 00074')).toBe('73282932000074')
    expect(formatSiret('73282932000074')).toBe('732 829 320 00074')
  })
})
