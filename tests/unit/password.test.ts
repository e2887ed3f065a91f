import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isEmail, missingPasswordRules, PASSWORD_MIN_LENGTH, passwordScore } from '~/utils/password'

describe('password rules', () => {
  it('match supabase/config.toml (length and required character classes)', () => {
    const toml = readFileSync('supabase/config.toml', 'utf8')
    expect(Number(/minimum_password_length\s*=\s*(\d+)/.exec(toml)![1])).toBe(PASSWORD_MIN_LENGTH)
    expect(/password_requirements\s*=\s*"([^"]+)"/.exec(toml)![1]).toBe('lower_upper_letters_digits')
  })
  it('lists what is missing', () => {
    expect(missingPasswordRules('')).toEqual(['length', 'lower', 'upper', 'digit'])
    expect(missingPasswordRules('abcdefghij')).toEqual(['upper', 'digit'])
    expect(missingPasswordRules('Abcdefghi1')).toEqual([])
    expect(missingPasswordRules('ABCDEFGHIJ1')).toEqual(['lower'])
    expect(missingPasswordRules('Abc1')).toEqual(['length'])
  })
  it('scores strength from 0 to 4', () => {
    expect(passwordScore('')).toBe(0)
    expect(passwordScore('a')).toBe(1)
    expect(passwordScore('ImmoDemo2026!')).toBe(4)
  })
  it('recognises e-mail addresses', () => {
    expect(isEmail('claire@agence-etoile.fr')).toBe(true)
    expect(isEmail(' claire@agence.fr ')).toBe(true)
    expect(isEmail('claire@agence')).toBe(false)
    expect(isEmail('claire agence.fr')).toBe(false)
  })
})
