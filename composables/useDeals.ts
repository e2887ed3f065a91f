export interface DealHit { id: string; title: string; value: number | null; currency: string }

/** Deals of the current tenant: search by title and open-pipeline totals. */
export function useDeals() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function search(query: string, limit = 5): Promise<DealHit[]> {
    const tenantId = session.currentTenantId
    const q = query.trim()
    if (!tenantId || q.length < 2) return []
    const pattern = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`
    const { data, error } = await supabase.from('deals').select('id, title, value, currency').eq('tenant_id', tenantId).ilike('title', pattern).order('updated_at', { ascending: false }).limit(limit)
    if (error) throw error
    return (data ?? []) as DealHit[]
  }

  /** Open deals and their value, summed over the stages of kind `open` (view pipeline_stage_totals). */
  async function openTotals(): Promise<{ count: number; value: number }> {
    const tenantId = session.currentTenantId
    if (!tenantId) return { count: 0, value: 0 }
    const { data, error } = await supabase.from('pipeline_stage_totals').select('deals_count, total_value').eq('tenant_id', tenantId).eq('kind', 'open')
    if (error) throw error
    return (data ?? []).reduce(
      (a, r: { deals_count: number | string; total_value: number | string }) => ({ count: a.count + Number(r.deals_count), value: a.value + Number(r.total_value) }),
      { count: 0, value: 0 },
    )
  }

  return { search, openTotals }
}
