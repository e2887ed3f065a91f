import { z } from 'zod'

/**
 * Analytics of the current tenant: every figure comes from the SQL RPCs
 * (supabase/migrations/20261207100100_analytics_rpc.sql), validated with zod
 * at the boundary. Periods are Paris calendar days, both ends included; each
 * RPC also returns the previous period of the same length.
 */

const num = z.coerce.number()
const rate = z.number().nullable()

const engagementTotals = z.object({
  from: z.string(), to: z.string(),
  sent: num, delivered: num, opened: num, clicked: num, replied: num, unsubscribed: num, bounced: num, failed: num,
  delivery_rate: rate, open_rate: rate, click_rate: rate, reply_rate: rate, unsubscribe_rate: rate, bounce_rate: rate,
})
export const engagementSchema = z.object({
  current: engagementTotals,
  previous: engagementTotals,
  daily: z.array(z.object({ day: z.string(), sent: num, delivered: num, opened: num, clicked: num, replied: num })),
  by_channel: z.array(z.object({ channel: z.string(), sent: num, segments: num, opened: num, clicked: num, replied: num, open_rate: rate, reply_rate: rate })),
})
export type Engagement = z.infer<typeof engagementSchema>

export const FUNNEL_STEPS = ['prospects', 'contacted', 'engaged', 'qualified', 'appointment', 'proposal', 'won'] as const
const funnelCounts = z.object({ from: z.string(), to: z.string(), prospects: num, contacted: num, engaged: num, qualified: num, appointment: num, proposal: num, won: num })
export const funnelSchema = z.object({ current: funnelCounts, previous: funnelCounts })
export type Funnel = z.infer<typeof funnelSchema>

const wonTotals = z.object({ won_count: num, won_value: num, lost_count: num, other_currency: num })
export const pipelineSchema = z.object({
  current: wonTotals,
  previous: wonTotals,
  stages: z.array(z.object({
    pipeline_id: z.string(), pipeline_name: z.string(), stage_id: z.string(), stage_name: z.string(), kind: z.enum(['open', 'won', 'lost']),
    position: num, probability: num, deals: num, value: num, weighted_value: num, without_value: num, other_currency: num,
  })),
  time_in_stage: z.array(z.object({ stage_id: z.string(), stage_name: z.string(), pipeline_name: z.string(), moves: num, avg_days: num, median_days: num })),
  loss_reasons: z.array(z.object({ reason: z.string(), deals: num, value: num })),
})
export type Pipeline = z.infer<typeof pipelineSchema>

export const templatesSchema = z.array(z.object({
  sequence_id: z.string().nullable(), step_id: z.string().nullable(), variant: z.string().nullable(), channel: z.string(),
  sequence_name: z.string().nullable(), step_position: num.nullable(), subject: z.string().nullable(),
  sent: num, opened: num, clicked: num, replied: num, open_rate: rate, click_rate: rate, reply_rate: rate,
}))
export type TemplateRow = z.infer<typeof templatesSchema>[number]

export const heatmapSchema = z.array(z.object({ dow: num, hour: num, sent: num, opened: num, replied: num, open_rate: rate, reply_rate: rate }))
export type HeatCell = z.infer<typeof heatmapSchema>[number]

export const segmentsSchema = z.array(z.object({
  base_id: z.string().nullable(), name: z.string().nullable(), contacted: num, engaged: num, replied: num, qualified: num, won: num,
  engagement_rate: rate, reply_rate: rate, win_rate: rate,
}))
export type AnalyticsSegmentRow = z.infer<typeof segmentsSchema>[number]

export const hotLeadsSchema = z.array(z.object({
  contact_id: z.string(), score: num, replies: num, clicks: num, opens: num, last_at: z.string(), deleted: z.boolean(),
  first_name: z.string().nullable(), last_name: z.string().nullable(), company_name: z.string().nullable(), city: z.string().nullable(),
}))
export type HotLead = z.infer<typeof hotLeadsSchema>[number]

export const todaySchema = z.object({
  date: z.string(),
  overdue: num,
  tasks: z.array(z.object({
    id: z.string(), subject: z.string().nullable(), kind: z.string(), due_date: z.string(), day_period: z.enum(['morning', 'afternoon', 'evening']).nullable(),
    overdue: z.boolean(), contact_id: z.string().nullable(), deal_id: z.string().nullable(), contact_name: z.string().nullable(),
  })),
})
export type Today = z.infer<typeof todaySchema>

export const dashboardSchema = z.object({
  from: z.string(), to: z.string(), funnel: funnelSchema, engagement: engagementSchema, pipeline: pipelineSchema, hot_leads: hotLeadsSchema, today: todaySchema,
})
export type DashboardData = z.infer<typeof dashboardSchema>

export const reportSchema = z.object({
  from: z.string(), to: z.string(), funnel: funnelSchema, engagement: engagementSchema, pipeline: pipelineSchema,
  templates: templatesSchema, heatmap: heatmapSchema, segments: segmentsSchema,
})
export type ReportData = z.infer<typeof reportSchema>

export const ATTRIBUTION_MODELS = ['any_touch', 'first_touch', 'last_touch'] as const
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number]
export const roiSchema = z.object({
  from: z.string(), to: z.string(), days: num, plan: z.string(),
  rule: z.object({ model: z.enum(ATTRIBUTION_MODELS), window_days: num, fee_rate: num }),
  costs: z.object({
    subscription: num, ai: num, email: num, sms: num, whatsapp: num, total: num, plan_monthly_price: num,
    emails: num, sms_segments: num, whatsapp_messages: num, unit_email: num, unit_sms: num, unit_whatsapp: num,
  }),
  revenue: z.object({ won_deals: num, won_value: num, attributed_deals: num, attributed_value: num, attributed_fees: num, other_currency: num, without_value: num }),
  roi: num.nullable(),
  net: num,
  payback_days: num.nullable(),
  deals: z.array(z.object({
    deal_id: z.string(), title: z.string(), contact_name: z.string().nullable(), contact_deleted: z.boolean(), closed_at: z.string(),
    value: num.nullable(), currency: z.string(), attributed: z.boolean(), platform_touches: num,
    first_platform_at: z.string().nullable(), last_platform_at: z.string().nullable(), fees: num.nullable(),
  })),
})
export type Roi = z.infer<typeof roiSchema>

const bandRate = z.object({ avg: rate, median: rate.optional() })
export const benchmarkSchema = z.object({
  available: z.boolean(), band: z.string(), min_contributors: num, contributors: num.optional(),
  open_rate: bandRate.optional(), click_rate: bandRate.optional(), reply_rate: bandRate.optional(), bounce_rate: bandRate.optional(),
})
export type Benchmark = z.infer<typeof benchmarkSchema>

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

  async function rpc<S extends z.ZodType>(fn: string, args: Record<string, unknown>, schema: S): Promise<z.output<S>> {
    const tenantId = session.currentTenantId
    if (!tenantId) throw new Error('no_tenant')
    const { data, error } = await supabase.rpc(fn, { p_tenant_id: tenantId, ...args })
    if (error) throw error
    return schema.parse(data)
  }

  return {
    dashboard: (p: Period) => rpc('analytics_dashboard', { p_from: p.from, p_to: p.to }, dashboardSchema),
    report: (p: Period) => rpc('analytics_report', { p_from: p.from, p_to: p.to }, reportSchema),
    roi: (p: Period, rule: { model: AttributionModel; windowDays: number; feeRate: number }) =>
      rpc('analytics_roi', { p_from: p.from, p_to: p.to, p_model: rule.model, p_window_days: rule.windowDays, p_fee_rate: rule.feeRate }, roiSchema),
    benchmark: (p: Period) => rpc('analytics_benchmark', { p_from: p.from, p_to: p.to }, benchmarkSchema),
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
