import { defineStore } from 'pinia'
import type { User } from '@supabase/supabase-js'
import { roleAtLeast, type TenantRole } from '~/utils/roles'

export interface TenantSummary {
  id: string
  slug: string
  legal_name: string
  display_name: string | null
  primary_color: string | null
  logo_path: string | null
  onboarding_step: number
  onboarding_completed_at: string | null
}
export interface Membership {
  tenant_id: string
  role: TenantRole
  tenant: TenantSummary
}
export interface SessionUser {
  id: string
  email: string
  fullName: string | null
  locale: string | null
}

export const TENANT_COOKIE = 'immo_tenant'

export function toSessionUser(u: Pick<User, 'id' | 'email' | 'user_metadata'>): SessionUser {
  const m = (u.user_metadata ?? {}) as Record<string, unknown>
  return {
    id: u.id,
    email: u.email ?? '',
    fullName: typeof m.full_name === 'string' && m.full_name.trim() ? m.full_name.trim() : null,
    locale: typeof m.locale === 'string' ? m.locale : null,
  }
}

/** The tenant to show: the persisted choice when still a member, else the first by name. */
export function pickTenant(memberships: Membership[], preferred: string | null | undefined): string | null {
  if (!memberships.length) return null
  if (preferred && memberships.some((m) => m.tenant_id === preferred)) return preferred
  return [...memberships].sort((a, b) => tenantName(a.tenant).localeCompare(tenantName(b.tenant), 'fr'))[0]!.tenant_id
}

export function tenantName(t: Pick<TenantSummary, 'display_name' | 'legal_name'>): string {
  return t.display_name?.trim() || t.legal_name
}

/**
 * Session and current tenant: who is signed in, the agencies they belong to
 * (with their role) and which one the app shows. Table data stays in the
 * domain composables.
 */
export const useSessionStore = defineStore('session', () => {
  // Captured at creation (inside the Nuxt context): actions run after awaits, where it is gone.
  const supabase = useSupabase()
  const user = ref<SessionUser | null>(null)
  const memberships = ref<Membership[]>([])
  const loaded = ref(false)
  const tenantCookie = useCookie<string | null>(TENANT_COOKIE, { sameSite: 'lax', path: '/', maxAge: 60 * 60 * 24 * 365 })
  const currentTenantId = ref<string | null>(null)

  const currentMembership = computed(() => memberships.value.find((m) => m.tenant_id === currentTenantId.value) ?? null)
  const currentTenant = computed(() => currentMembership.value?.tenant ?? null)
  const role = computed(() => currentMembership.value?.role ?? null)
  const isAdmin = computed(() => roleAtLeast(role.value, 'admin'))

  function setUser(u: Pick<User, 'id' | 'email' | 'user_metadata'> | null) {
    user.value = u ? toSessionUser(u) : null
  }

  function setMemberships(list: Membership[]) {
    memberships.value = list
    currentTenantId.value = pickTenant(list, currentTenantId.value ?? tenantCookie.value)
    if (currentTenantId.value && tenantCookie.value !== currentTenantId.value) tenantCookie.value = currentTenantId.value
  }

  async function loadMemberships() {
    if (!user.value) return setMemberships([])
    const { data, error } = await supabase
      .from('tenant_members')
      .select('tenant_id, role, tenant:tenants(id, slug, legal_name, display_name, primary_color, logo_path, onboarding_step, onboarding_completed_at)')
      .eq('user_id', user.value.id)
    if (error) throw error
    setMemberships((data ?? []) as unknown as Membership[])
  }

  /** Loads the user and their memberships once per app start (server or browser). */
  async function init() {
    if (loaded.value) return
    if (import.meta.server) {
      const { data, error } = await supabase.auth.getUser()
      setUser(error ? null : data.user)
    } else {
      const { data } = await supabase.auth.getSession()
      setUser(data.session?.user ?? null)
    }
    await loadMemberships()
    loaded.value = true
  }

  function switchTenant(id: string) {
    if (!memberships.value.some((m) => m.tenant_id === id)) return false
    currentTenantId.value = id
    tenantCookie.value = id
    return true
  }

  function patchTenant(id: string, patch: Partial<TenantSummary>) {
    const m = memberships.value.find((x) => x.tenant_id === id)
    if (m) m.tenant = { ...m.tenant, ...patch }
  }

  function reset() {
    user.value = null
    memberships.value = []
    currentTenantId.value = null
    loaded.value = false
  }

  async function signOut(scope: 'local' | 'global' = 'local') {
    await supabase.auth.signOut({ scope })
    reset()
    loaded.value = true
  }

  return { user, memberships, loaded, currentTenantId, currentMembership, currentTenant, role, isAdmin, setUser, setMemberships, loadMemberships, init, switchTenant, patchTenant, reset, signOut }
})
