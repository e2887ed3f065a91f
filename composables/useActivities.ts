export interface RecentActivity {
  id: string
  kind: 'note' | 'call' | 'task' | 'email' | 'meeting'
  subject: string | null
  body: string | null
  occurred_at: string
  contact: { first_name: string | null; last_name: string | null; company_name: string | null; email: string | null } | null
}

/** Latest activities of the current tenant (the dashboard's feed). */
export function useActivities() {
  const supabase = useSupabase()
  const session = useSessionStore()
  async function recent(limit = 8): Promise<RecentActivity[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    const { data, error } = await supabase
      .from('activities')
      .select('id, kind, subject, body, occurred_at, contact:contacts(first_name, last_name, company_name, email)')
      .eq('tenant_id', tenantId)
      .order('occurred_at', { ascending: false })
      .limit(limit)
    if (error) throw error
    return (data ?? []) as unknown as RecentActivity[]
  }
  return { recent }
}
