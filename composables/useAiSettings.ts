/**
 * The AI settings page's data: the month's budget state (ai_budget_status:
 * any member), the month's usage from the ledger (ai_usage: admins), the cost
 * per generated message, and the agency's guidelines (ai_guidelines).
 */
export interface BudgetStatus {
  plan: string
  exempt: boolean
  budget_eur: number | null
  spent_eur: number
  ratio: number | null
  state: 'exempt' | 'ok' | 'warning' | 'blocked'
  month_start: string
  calls: number
}
export interface MonthUsage {
  calls: number
  ok: number
  fallback: number
  errors: number
  costEur: number
  /** Messages written by the AI this month (three variants per successful generation). */
  messages: number
  costPerMessageEur: number | null
  tokens: number
}
export interface Guideline { id: string; kind: 'preference' | 'correction'; text: string; active: boolean; created_at: string; created_by: string | null }

/** Aggregates ledger rows into the month's figures. */
export function summariseUsage(rows: { task: string; outcome: string; cost_eur: number | string; prompt_tokens: number; completion_tokens: number }[]): MonthUsage {
  const u: MonthUsage = { calls: rows.length, ok: 0, fallback: 0, errors: 0, costEur: 0, messages: 0, costPerMessageEur: null, tokens: 0 }
  for (const r of rows) {
    if (r.outcome === 'ok') u.ok++
    else if (r.outcome === 'fallback') u.fallback++
    else u.errors++
    u.costEur += Number(r.cost_eur)
    u.tokens += r.prompt_tokens + r.completion_tokens
    if (r.outcome === 'ok' && r.task === 'message.generate') u.messages += 3
  }
  u.costPerMessageEur = u.messages > 0 ? u.costEur / u.messages : null
  return u
}

export function useAiSettings() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function budget(): Promise<BudgetStatus | null> {
    if (!session.currentTenantId) return null
    const { data, error } = await supabase.rpc('ai_budget_status', { p_tenant_id: session.currentTenantId }).maybeSingle()
    if (error) throw error
    if (!data) return null
    const d = data as Record<string, unknown>
    return { ...(d as unknown as BudgetStatus), budget_eur: d.budget_eur == null ? null : Number(d.budget_eur), spent_eur: Number(d.spent_eur), ratio: d.ratio == null ? null : Number(d.ratio), calls: Number(d.calls) }
  }

  async function usage(monthStart: string): Promise<MonthUsage> {
    const { data, error } = await supabase.from('ai_usage').select('task, outcome, cost_eur, prompt_tokens, completion_tokens')
      .eq('tenant_id', session.currentTenantId!).gte('created_at', monthStart).limit(10000)
    if (error) throw error
    return summariseUsage(data ?? [])
  }

  async function guidelines(): Promise<Guideline[]> {
    const { data, error } = await supabase.from('ai_guidelines').select('id, kind, text, active, created_at, created_by')
      .eq('tenant_id', session.currentTenantId!).order('created_at', { ascending: false }).limit(200)
    if (error) throw error
    return (data ?? []) as Guideline[]
  }

  async function setActive(id: string, active: boolean) {
    const { error } = await supabase.from('ai_guidelines').update({ active }).eq('id', id)
    if (error) throw error
  }

  async function removeGuideline(id: string) {
    const { error } = await supabase.from('ai_guidelines').delete().eq('id', id)
    if (error) throw error
  }

  return { budget, usage, guidelines, setActive, removeGuideline }
}
