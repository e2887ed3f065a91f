import { describe, expect, it } from 'vitest'
import { toHits } from '~~/server/utils/companies'
import { createRateLimiter } from '~~/server/utils/rate-limit'
import { parseServerConfig } from '~~/server/utils/config'

describe('companies API mapping', () => {
  const body = {
    results: [{
      siren: '505737577', nom_complet: 'IMMOBILIÈRE TALBRUARD (IT)', nom_raison_sociale: 'IMMOBILIÈRE TALBRUARD', activite_principale: '68.31Z', date_creation: '1988-04-28',
      siege: { siret: '50573757735597', adresse: '1 BIS RUE DU PORT 33680 LACANAU', code_postal: '33680', libelle_commune: 'LACANAU', activite_principale: '68.31Z', date_creation: '1988-04-28' },
      matching_etablissements: [{ siret: '50573757700011', adresse: '3 PLACE X 33000 BORDEAUX', code_postal: '33000', libelle_commune: 'BORDEAUX' }],
      extra: 'ignored',
    }],
    total_results: 1,
  }
  it('keeps the fields onboarding prefills, with the street split from the postal code', () => {
    expect(toHits(body)).toEqual([{
      siren: '505737577', siret: '50573757735597', legalName: 'IMMOBILIÈRE TALBRUARD', address: '1 BIS RUE DU PORT', postalCode: '33680', city: 'LACANAU',
      nafCode: '68.31Z', createdOn: '1988-04-28', specialisations: ['residential'],
    }])
  })
  it('uses the establishment matching a searched SIRET', () => {
    expect(toHits(body, '50573757700011')[0]).toMatchObject({ siret: '50573757700011', city: 'BORDEAUX', postalCode: '33000' })
  })
  it('rejects a body that is not the API shape', () => {
    expect(() => toHits({ results: [{ nom_complet: 'no siren' }] })).toThrow()
    expect(() => toHits('<html>')).toThrow()
  })
})

describe('rate limiter', () => {
  it('allows `limit` hits per window and per key, then tells when to retry', () => {
    let now = 0
    const l = createRateLimiter(2, 60_000, () => now)
    expect(l.take('1.2.3.4').ok).toBe(true)
    expect(l.take('1.2.3.4').ok).toBe(true)
    const third = l.take('1.2.3.4')
    expect(third).toMatchObject({ ok: false, retryAfter: 60 })
    expect(l.take('5.6.7.8').ok).toBe(true)
    now = 60_000
    expect(l.take('1.2.3.4').ok).toBe(true)
  })
})

describe('server configuration', () => {
  it('accepts the stack environment and refuses a missing key at boot', () => {
    const ok = parseServerConfig({ public: { supabaseUrl: 'http://127.0.0.1:54321', supabaseKey: 'x'.repeat(40), appUrl: 'http://localhost:3000' } }, { COMPANIES_API_URL: 'http://127.0.0.1:54330/recherche-entreprises' })
    expect(ok.companiesApiUrl).toBe('http://127.0.0.1:54330/recherche-entreprises')
    expect(() => parseServerConfig({ public: { supabaseUrl: '', supabaseKey: '', appUrl: 'http://localhost:3000' } }, {})).toThrow(/NUXT_PUBLIC_SUPABASE_URL/)
  })
})
