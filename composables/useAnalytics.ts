import type { z } from 'zod'
import type * as S from './useAnalyticsSchemas'

/**
 * Analytics of the current tenant: every figure comes from the SQL RPCs
 * (supabase/migrations/20261207100100_analytics_rpc.sql), validated with zod
 * at the boundary. Periods are Paris calendar days, both ends included; each
 * RPC also returns the previous period of the same length.
 */

export type Engagement = z.infer<typeof S.engagementSchema>
export type Funnel = z.infer<typeof S.funnelSchema>
export type Pipeline = z.infer<typeof S.pipelineSchema>
export type TemplateRow = z.infer<typeof S.templatesSchema>[number]
export type HeatCell = z.infer<typeof S.heatmapSchema>[number]
export type AnalyticsSegmentRow = z.infer<typeof S.segmentsSchema>[number]
export type HotLead = z.infer<typeof S.hotLeadsSchema>[number]
export type Today = z.infer<typeof S.todaySchema>
export type DashboardData = z.infer<typeof S.dashboardSchema>
export type ReportData = z.infer<typeof S.reportSchema>
export type Roi = z.infer<typeof S.roiSchema>
export type Benchmark = z.infer<typeof S.benchmarkSchema>

export const FUNNEL_STEPS = ['prospects', 'contacted', 'engaged', 'qualified', 'appointment', 'proposal', 'won'] as const
export const ATTRIBUTION_MODELS = ['any_touch', 'first_touch', 'last_touch'] as const
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number]

// ---------------------------------------------------------------- periods

export type PeriodPreset = '7d' | '30d' | '90d' | 'month' | 'custom'
export interface Period { from: string; to: string }

/** Today's date in Paris (yyyy-mm-dd), whatever the browser's zone. */
export function parisToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

export function addIsoDays(iso: string, days: number): string {
  const [y, m, d] = iso.split('-').map(Number)
  const dt = new Date(Date.UTC(y!, m! - 1, d! + days))
  return dt.toISOString().slice(0, 10)
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1
}

/** The period a preset stands for, ending today (Paris). */
export function presetPeriod(preset: Exclude<PeriodPreset, 'custom'>, today = parisToday()): Period {
  if (preset === 'month') return { from: `${today.slice(0, 8)}01`, to: today }
  const n = preset === '7d' ? 7 : preset === '30d' ? 30 : 90
  return { from: addIsoDays(today, -(n - 1)), to: today }
}

/** The previous period of the same length (what every RPC compares with). */
export function previousPeriod(p: Period): Period {
  const n = daysBetween(p.from, p.to)
  return { from: addIsoDays(p.from, -n), to: addIsoDays(p.from, -1) }
}

/** Relative change, null when there is nothing to compare with (never NaN or Infinity). */
export function relativeChange(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current == null || previous == null || !Number.isFinite(current) || !Number.isFinite(previous) || previous === 0) return null
  return (current - previous) / previous
}

/** Share of one step in the one before, null when the previous step is empty. */
export function stepConversion(n: number, of: number): number | null {
  return of > 0 ? n / of : null
}

// ---------------------------------------------------------------- data access

export function useAnalytics() {
  const supabase = useSupabase()
  const session = useSessionStore()

  const schemas = () => import('./useAnalyticsSchemas')

  async function rpc<K extends keyof typeof S>(fn: string, args: Record<string, unknown>, schema: K): Promise<z.output<(typeof S)[K]>> {
    const tenantId = session.currentTenantId
    if (!tenantId) throw new Error('no_tenant')
    const [{ data, error }, mod] = await Promise.all([supabase.rpc(fn, { p_tenant_id: tenantId, ...args }), schemas()])
    if (error) throw error
    return mod[schema].parse(data) as z.output<(typeof S)[K]>
  }

  return {
    dashboard: (p: Period) => rpc('analytics_dashboard', { p_from: p.from, p_to: p.to }, 'dashboardSchema'),
    report: (p: Period) => rpc('analytics_report', { p_from: p.from, p_to: p.to }, 'reportSchema'),
    roi: (p: Period, rule: { model: AttributionModel; windowDays: number; feeRate: number }) =>
      rpc('analytics_roi', { p_from: p.from, p_to: p.to, p_model: rule.model, p_window_days: rule.windowDays, p_fee_rate: rule.feeRate }, 'roiSchema'),
    benchmark: (p: Period) => rpc('analytics_benchmark', { p_from: p.from, p_to: p.to }, 'benchmarkSchema'),
  }
}

/** The period shown, kept in the URL (?du=…&au=…) so a view can be shared and reloaded. */
export function useAnalyticsPeriod(defaultPreset: Exclude<PeriodPreset, 'custom'> = '30d') {
  const route = useRoute()
  const router = useRouter()
  const iso = /^\d{4}-\d{2}-\d{2}$/
  const period = computed<Period>(() => {
    const from = String(route.query.du ?? '')
    const to = String(route.query.au ?? '')
    if (iso.test(from) && iso.test(to) && from <= to && daysBetween(from, to) <= 366) return { from, to }
    return presetPeriod(defaultPreset)
  })
  const preset = computed<PeriodPreset>(() => {
    for (const p of ['7d', '30d', '90d', 'month'] as const) {
      const x = presetPeriod(p)
      if (x.from === period.value.from && x.to === period.value.to) return p
    }
    return 'custom'
  })
  function set(p: Period) {
    router.replace({ query: { ...route.query, du: p.from, au: p.to } })
  }
  return { period, preset, set, previous: computed(() => previousPeriod(period.value)) }
}
