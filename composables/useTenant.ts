import type { TenantOnboardingView, OnboardingData } from '~/utils/onboarding'

export interface Tenant extends TenantOnboardingView {
  id: string
  slug: string
  display_name: string | null
  address_line: string | null
  postal_code: string | null
  naf_code: string | null
  legal_created_on: string | null
  team_size: number | null
  current_tools: string[]
  primary_color: string | null
  logo_path: string | null
  plan: string
  onboarding: OnboardingData
}

export const TENANT_COLUMNS =
  'id, slug, legal_name, display_name, siret, address_line, postal_code, city, naf_code, legal_created_on, specialisations, property_types, geographic_zones, team_size, current_tools, primary_color, logo_path, plan, onboarding, onboarding_step, onboarding_completed_at'

/** The current tenant's row and its updates (RLS: admins update settings). */
export function useTenant() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function fetch(id = session.currentTenantId): Promise<Tenant | null> {
    if (!id) return null
    const { data, error } = await supabase.from('tenants').select(TENANT_COLUMNS).eq('id', id).maybeSingle()
    if (error) throw error
    return data as Tenant | null
  }

  async function update(id: string, patch: Partial<Omit<Tenant, 'id' | 'plan'>>): Promise<Tenant> {
    const { data, error } = await supabase.from('tenants').update(patch).eq('id', id).select(TENANT_COLUMNS).single()
    if (error) throw error
    const t = data as Tenant
    session.patchTenant(id, {
      legal_name: t.legal_name, display_name: t.display_name, primary_color: t.primary_color, logo_path: t.logo_path,
      onboarding_step: t.onboarding_step, onboarding_completed_at: t.onboarding_completed_at,
    })
    return t
  }

  async function create(input: { slug: string; legalName: string; siret: string | null }): Promise<string> {
    const { data, error } = await supabase.rpc('create_tenant', { p_slug: input.slug, p_legal_name: input.legalName, p_siret: input.siret })
    if (error) throw error
    const id = (data as { id: string }).id
    await session.loadMemberships()
    session.switchTenant(id)
    return id
  }

  return { fetch, update, create }
}
