import { z } from 'zod'
import { ATTRIBUTION_MODELS } from './useAnalytics'

/**
 * zod schemas of the analytics RPCs' answers. Loaded on demand by
 * useAnalytics (a dynamic import, in parallel with the first request), so the
 * validator is not part of the dashboard's first-load JavaScript.
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

const funnelCounts = z.object({ from: z.string(), to: z.string(), prospects: num, contacted: num, engaged: num, qualified: num, appointment: num, proposal: num, won: num })
export const funnelSchema = z.object({ current: funnelCounts, previous: funnelCounts })

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

export const templatesSchema = z.array(z.object({
  sequence_id: z.string().nullable(), step_id: z.string().nullable(), variant: z.string().nullable(), channel: z.string(),
  sequence_name: z.string().nullable(), step_position: num.nullable(), subject: z.string().nullable(),
  sent: num, opened: num, clicked: num, replied: num, open_rate: rate, click_rate: rate, reply_rate: rate,
}))

export const heatmapSchema = z.array(z.object({ dow: num, hour: num, sent: num, opened: num, replied: num, open_rate: rate, reply_rate: rate }))

export const segmentsSchema = z.array(z.object({
  base_id: z.string().nullable(), name: z.string().nullable(), contacted: num, engaged: num, replied: num, qualified: num, won: num,
  engagement_rate: rate, reply_rate: rate, win_rate: rate,
}))

export const hotLeadsSchema = z.array(z.object({
  contact_id: z.string(), score: num, replies: num, clicks: num, opens: num, last_at: z.string(), deleted: z.boolean(),
  first_name: z.string().nullable(), last_name: z.string().nullable(), company_name: z.string().nullable(), city: z.string().nullable(),
}))

export const todaySchema = z.object({
  date: z.string(),
  overdue: num,
  tasks: z.array(z.object({
    id: z.string(), subject: z.string().nullable(), kind: z.string(), due_date: z.string(), day_period: z.enum(['morning', 'afternoon', 'evening']).nullable(),
    overdue: z.boolean(), contact_id: z.string().nullable(), deal_id: z.string().nullable(), contact_name: z.string().nullable(),
  })),
})

export const dashboardSchema = z.object({
  from: z.string(), to: z.string(), funnel: funnelSchema, engagement: engagementSchema, pipeline: pipelineSchema, hot_leads: hotLeadsSchema, today: todaySchema,
})

export const reportSchema = z.object({
  from: z.string(), to: z.string(), funnel: funnelSchema, engagement: engagementSchema, pipeline: pipelineSchema,
  templates: templatesSchema, heatmap: heatmapSchema, segments: segmentsSchema,
})

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
    won_on: z.string(), value: num.nullable(), revenue: num.nullable(), currency: z.string(), attributed: z.boolean(), platform_touches: num,
    first_platform_at: z.string().nullable(), last_platform_at: z.string().nullable(), fees: num.nullable(),
  })),
})

const bandRate = z.object({ avg: rate, median: rate.optional() })
export const benchmarkSchema = z.object({
  available: z.boolean(), band: z.string(), min_contributors: num, contributors: num.optional(),
  open_rate: bandRate.optional(), click_rate: bandRate.optional(), reply_rate: bandRate.optional(), bounce_rate: bandRate.optional(),
})
