import { z } from 'zod'

/** One reason of a score: translated from `code` + `params`, `text` is the stored French sentence. */
export const scoreReasonSchema = z.object({
  component: z.enum(['fit', 'engagement', 'timing']),
  code: z.string(),
  points: z.number(),
  params: z.record(z.string(), z.unknown()).default({}),
  text: z.string(),
})
export const contactScoreSchema = z.object({
  tenant_id: z.string(),
  contact_id: z.string(),
  score: z.number().int().min(0).max(100),
  fit: z.number().int().min(0).max(100),
  engagement: z.number().int().min(0).max(100),
  timing: z.number().int().min(0).max(100),
  label: z.enum(['hot', 'warm', 'cold']),
  breakdown: z.array(scoreReasonSchema),
  next_action: z.string(),
  computed_at: z.string(),
})
export type ScoreReason = z.infer<typeof scoreReasonSchema>
export type ContactScore = z.infer<typeof contactScoreSchema>

export const scoringSettingsSchema = z
  .object({
    weight_fit: z.number().int().min(0).max(100),
    weight_engagement: z.number().int().min(0).max(100),
    weight_timing: z.number().int().min(0).max(100),
    hot_threshold: z.number().int().min(2).max(100),
    warm_threshold: z.number().int().min(1).max(99),
  })
  .refine((s) => s.weight_fit + s.weight_engagement + s.weight_timing === 100, { message: 'weights_sum', path: ['weight_fit'] })
  .refine((s) => s.warm_threshold < s.hot_threshold, { message: 'thresholds_order', path: ['warm_threshold'] })
export type ScoringSettings = z.infer<typeof scoringSettingsSchema>
export const DEFAULT_SCORING: ScoringSettings = { weight_fit: 40, weight_engagement: 40, weight_timing: 20, hot_threshold: 70, warm_threshold: 40 }

/** Groups the reasons of a breakdown by component, strongest first. */
export function groupScoreReasons(reasons: ScoreReason[]): Record<ScoreReason['component'], ScoreReason[]> {
  const out: Record<ScoreReason['component'], ScoreReason[]> = { fit: [], engagement: [], timing: [] }
  for (const r of reasons) out[r.component].push(r)
  for (const k of Object.keys(out) as ScoreReason['component'][]) out[k].sort((a, b) => b.points - a.points)
  return out
}

/** Scoring of the current tenant: a contact's score with its breakdown, and the tenant's weights. */
export function useScoring() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenant = () => {
    if (!session.currentTenantId) throw new Error('no_tenant')
    return session.currentTenantId
  }

  /** The contact's score (computed on the spot when missing or stale). */
  async function contactScore(contactId: string): Promise<ContactScore | null> {
    const { data, error } = await supabase.rpc('contact_score', { p_tenant_id: tenant(), p_contact_id: contactId })
    if (error) throw error
    const row = Array.isArray(data) ? data[0] : data
    return row ? contactScoreSchema.parse(row) : null
  }

  async function settings(): Promise<ScoringSettings> {
    const { data, error } = await supabase.from('tenant_scoring_settings')
      .select('weight_fit, weight_engagement, weight_timing, hot_threshold, warm_threshold')
      .eq('tenant_id', tenant()).maybeSingle()
    if (error) throw error
    return data ? scoringSettingsSchema.parse(data) : { ...DEFAULT_SCORING }
  }

  async function saveSettings(s: ScoringSettings): Promise<void> {
    const valid = scoringSettingsSchema.parse(s)
    const { error } = await supabase.from('tenant_scoring_settings').upsert({ tenant_id: tenant(), ...valid }, { onConflict: 'tenant_id' })
    if (error) throw error
  }

  /** Recomputes every score of the tenant now; returns how many. */
  async function recomputeAll(): Promise<number> {
    const { data, error } = await supabase.rpc('recompute_scores', { p_tenant_id: tenant() })
    if (error) throw error
    return Number(data ?? 0)
  }

  /** Score distribution of the tenant (hot / warm / cold counts). */
  async function distribution(): Promise<Record<'hot' | 'warm' | 'cold', number>> {
    const out = { hot: 0, warm: 0, cold: 0 }
    await Promise.all((['hot', 'warm', 'cold'] as const).map(async (label) => {
      const { count, error } = await supabase.from('contact_scores').select('contact_id', { count: 'exact', head: true })
        .eq('tenant_id', tenant()).eq('label', label)
      if (error) throw error
      out[label] = count ?? 0
    }))
    return out
  }

  return { contactScore, settings, saveSettings, recomputeAll, distribution }
}
