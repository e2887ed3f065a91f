export interface ContactHit {
  id: string
  kind: 'person' | 'company'
  first_name: string | null
  last_name: string | null
  company_name: string | null
  email: string | null
  city: string | null
}

export function contactLabel(c: Pick<ContactHit, 'first_name' | 'last_name' | 'company_name' | 'email'>): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ').trim()
  return name || c.company_name || c.email || '—'
}

/** Contacts of the current tenant: the small reads the shell and dashboard need. */
export function useContacts() {
  const supabase = useSupabase()
  const session = useSessionStore()

  /** Trigram search through the search_contacts RPC (2+ characters). */
  async function search(query: string, limit = 6): Promise<ContactHit[]> {
    const tenantId = session.currentTenantId
    if (!tenantId || query.trim().length < 2) return []
    const { data, error } = await supabase
      .rpc('search_contacts', { p_tenant_id: tenantId, p_query: query.trim(), p_limit: limit })
      .select('id, kind, first_name, last_name, company_name, email, city')
    if (error) throw error
    return (data ?? []) as ContactHit[]
  }

  async function count(): Promise<number> {
    const tenantId = session.currentTenantId
    if (!tenantId) return 0
    const { count: n, error } = await supabase.from('contacts').select('id', { count: 'exact', head: true }).eq('tenant_id', tenantId).is('deleted_at', null)
    if (error) throw error
    return n ?? 0
  }

  return { search, count }
}
