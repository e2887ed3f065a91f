import { describe, expect, it } from 'vitest'
import { brandVariables, contrast, hexToRgb } from '~/utils/color'
import { errorCode } from '~/utils/errors'
import { safeNext } from '~/utils/redirect'
import { roleAtLeast } from '~/utils/roles'
import { guessSpecialisations } from '~/utils/specialisation'
import { normalizeSearch, slugify } from '~/utils/text'
import { completionPercent, resumeStep, stepsDone, type TenantOnboardingView } from '~/utils/onboarding'
import { parisHour, relativeTime } from '~~/composables/useRelativeTime'

describe('redirects after sign-in', () => {
  it('follow only same-site paths', () => {
    expect(safeNext('/reglages/equipe')).toBe('/reglages/equipe')
    expect(safeNext('//evil.example')).toBe('/')
    expect(safeNext('https://evil.example')).toBe('/')
    expect(safeNext('/\\evil.example')).toBe('/')
    expect(safeNext(undefined, '/x')).toBe('/x')
  })
})

describe('roles', () => {
  it('are ordered like the database enum', () => {
    expect(roleAtLeast('owner', 'admin')).toBe(true)
    expect(roleAtLeast('admin', 'admin')).toBe(true)
    expect(roleAtLeast('agent', 'admin')).toBe(false)
    expect(roleAtLeast(null, 'assistant')).toBe(false)
  })
})

describe('branding colour', () => {
  it('keeps white text at AA contrast whatever colour is chosen', () => {
    for (const hex of ['#ffff00', '#f0f0f0', '#2554d6', '#000000', '#ff6600']) {
      const v = brandVariables(hex)!
      const rgb = v['--brand']!.split(' ').map(Number) as [number, number, number]
      expect(contrast(rgb, [255, 255, 255])).toBeGreaterThanOrEqual(4.5)
    }
  })
  it('leaves an already dark colour alone and rejects bad input', () => {
    expect(brandVariables('#2554d6')!['--brand']).toBe('37 84 214')
    expect(brandVariables('blue')).toBeNull()
    expect(hexToRgb('#12345')).toBeNull()
  })
})

describe('error codes', () => {
  it('read GoTrue, PostgREST and Nitro errors', () => {
    expect(errorCode({ code: 'invalid_credentials', status: 400 })).toBe('invalid_credentials')
    expect(errorCode({ code: '22023', message: 'invitation_expired' })).toBe('invitation_expired')
    expect(errorCode({ data: { data: { code: 'invalid_siret' } } })).toBe('invalid_siret')
    expect(errorCode({ name: 'AuthRetryableFetchError' })).toBe('network')
    expect(errorCode({ code: 'something_new' })).toBe('unknown')
    expect(errorCode('boom')).toBe('unknown')
  })
})

describe('specialisation guess', () => {
  it('reads the name and NAF code', () => {
    expect(guessSpecialisations('Agence Étoile Immobilier', '68.31Z')).toEqual(['residential'])
    expect(guessSpecialisations('Prestige Immobilier de Luxe', '68.31Z')).toEqual(['residential', 'luxury'])
    expect(guessSpecialisations('Bureaux & Commerces Conseil', '68.31Z')).toEqual(['commercial'])
    expect(guessSpecialisations('Cabinet Dupont Gestion', '68.32A')).toEqual(['rental'])
    expect(guessSpecialisations('SCI Quelconque', null)).toEqual(['residential'])
  })
})

describe('text helpers', () => {
  it('match without accents and build DNS-safe slugs', () => {
    expect(normalizeSearch('  Évry-Courcouronnes ')).toBe('evry-courcouronnes')
    expect(slugify('Agence Étoile & Fils')).toBe('agence-etoile-fils')
    expect(slugify('--Ça--va--')).toBe('ca-va')
    expect(slugify('É')).toMatch(/^e-[a-z0-9]{1,4}$/)
  })
  it('formats relative times in French', () => {
    const now = Date.parse('2026-11-23T12:00:00Z')
    expect(relativeTime('2026-11-23T11:55:00Z', 'fr-FR', now)).toBe('il y a 5 minutes')
    expect(relativeTime('2026-11-22T12:00:00Z', 'fr-FR', now)).toBe('hier')
  })
  it('reads the hour in Paris whatever the server zone (winter UTC+1, summer UTC+2)', () => {
    expect(parisHour(Date.parse('2026-11-23T17:30:00Z'))).toBe(18)
    expect(parisHour(Date.parse('2026-07-01T23:30:00Z'))).toBe(1)
  })
})

describe('onboarding progress', () => {
  const base: TenantOnboardingView = {
    legal_name: 'Agence du Parc', siret: null, city: null, specialisations: [], property_types: [], geographic_zones: [],
    onboarding: {}, onboarding_step: 0, onboarding_completed_at: null,
  }
  it('starts at step 1 with 0 %', () => {
    expect(resumeStep(base)).toBe(1)
    expect(completionPercent(base)).toBe(0)
  })
  it('counts steps from the saved data and resumes at the first missing one', () => {
    const t = { ...base, city: 'Paris', specialisations: ['residential'], geographic_zones: ['Paris 8e'] }
    expect(stepsDone(t)).toMatchObject({ agency: true, market: true, questionnaire: false })
    expect(resumeStep(t)).toBe(3)
    expect(completionPercent(t)).toBe(33)
    const q = { ...t, onboarding: { questionnaire: { offer: 'Vente et location', tone: 'warm', objective: 'appointment' }, skipped: [4, 5] }, onboarding_step: 5 }
    expect(resumeStep(q)).toBe(6)
    expect(completionPercent(q)).toBe(83)
    expect(completionPercent({ ...q, onboarding_completed_at: '2026-11-23T12:00:00Z' })).toBe(100)
  })
  it('counts contacts already in the tenant as step 4 done', () => {
    const t = { ...base, city: 'Paris', specialisations: ['residential'], geographic_zones: ['Paris 8e'] }
    expect(stepsDone(t, 12).contacts).toBe(true)
    expect(stepsDone(t, 0).contacts).toBe(false)
  })
})
