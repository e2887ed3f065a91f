import { describe, expect, it } from 'vitest'
import { pickTenant, tenantName, toSessionUser, type Membership } from '~~/stores/session'

const m = (id: string, name: string, role: Membership['role'] = 'agent', display: string | null = null): Membership => ({
  tenant_id: id,
  role,
  tenant: { id, slug: id, legal_name: name, display_name: display, primary_color: null, logo_path: null, onboarding_step: 0, onboarding_completed_at: null },
})

describe('session store logic', () => {
  it('keeps the persisted tenant while the user is still a member', () => {
    const list = [m('t1', 'Zèbre Immobilier'), m('t2', 'Agence Azur')]
    expect(pickTenant(list, 't1')).toBe('t1')
  })
  it('falls back to the first agency by name when the choice is gone or absent', () => {
    const list = [m('t1', 'Zèbre Immobilier'), m('t2', 'Agence Azur'), m('t3', 'Étoile')]
    expect(pickTenant(list, 'removed')).toBe('t2')
    expect(pickTenant(list, null)).toBe('t2')
    expect(pickTenant([], 't1')).toBeNull()
  })
  it('names tenants by display name, else legal name', () => {
    expect(tenantName(m('t', 'SARL Étoile', 'owner', 'Étoile Immobilier').tenant)).toBe('Étoile Immobilier')
    expect(tenantName(m('t', 'SARL Étoile', 'owner', '  ').tenant)).toBe('SARL Étoile')
  })
  it('reads name and language from the user metadata', () => {
    expect(toSessionUser({ id: 'u', email: 'c@a.fr', user_metadata: { full_name: ' Claire Dubois ', locale: 'en' } })).toEqual({ id: 'u', email: 'c@a.fr', fullName: 'Claire Dubois', locale: 'en' })
    expect(toSessionUser({ id: 'u', email: undefined, user_metadata: {} })).toEqual({ id: 'u', email: '', fullName: null, locale: null })
  })
})
