/**
 * Pure logic of the sequence screens (no Vue, no Supabase): the step model and
 * its validation, the timeline, condition and send-window wording, the funnel
 * and sequenceHealth figures, the quota meter and the A/B significance test. Wording
 * goes through a translator `tr(key, params)` so the same code serves the page
 * (vue-i18n's `t`) and the unit tests (the French messages file).
 */
import { z } from 'zod'

export type Tr = (key: string, params?: Record<string, unknown>) => string

export const SEQUENCE_CHANNELS = ['email', 'sms', 'whatsapp', 'task'] as const
export const STEP_CONDITIONS = ['always', 'opened', 'clicked', 'not_opened', 'no_reply', 'replied'] as const
export const VARIANT_KEYS = ['A', 'B', 'C'] as const
export type SendChannel = (typeof SEQUENCE_CHANNELS)[number]
export type StepCondition = (typeof STEP_CONDITIONS)[number]
export type StepTaskKind = 'call' | 'visit'

/** Placeholders the engine fills (private.template_values); custom fields of the contact work too. */
export const TEMPLATE_VARIABLES = ['firstName', 'lastName', 'fullName', 'companyName', 'jobTitle', 'city', 'postalCode', 'email', 'agencyName', 'agencyCity'] as const

export const stepVariantSchema = z.object({
  key: z.enum(VARIANT_KEYS),
  subject: z.string().max(300).optional().nullable(),
  body: z.string().max(10000),
  template_id: z.string().uuid().optional().nullable(),
})
export type StepVariant = z.infer<typeof stepVariantSchema>

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/)
export const sequenceStepSchema = z.object({
  id: z.string().uuid().optional(),
  day_offset: z.number().int().min(0).max(365),
  channel: z.enum(SEQUENCE_CHANNELS),
  task_kind: z.enum(['call', 'visit']).nullable().optional(),
  condition: z.enum(STEP_CONDITIONS),
  variants: z.array(stepVariantSchema).min(1).max(3),
  window_days: z.array(z.number().int().min(1).max(7)).min(1).nullable().optional(),
  window_start: time.nullable().optional(),
  window_end: time.nullable().optional(),
  winner_variant: z.string().nullable().optional(),
  winner_decided_at: z.string().nullable().optional(),
  winner_stats: z.record(z.string(), z.unknown()).nullable().optional(),
})
export type SequenceStep = z.infer<typeof sequenceStepSchema>

export interface SequenceStepIssue { index: number; field: 'body' | 'subject' | 'condition' | 'window' | 'variants' | 'day_offset' | 'variable'; variant?: string; detail?: string }

/** Placeholders used in a text ({{ name }}). */
export function templatePlaceholders(text: string | null | undefined): string[] {
  const out = new Set<string>()
  for (const m of (text ?? '').matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)) out.add(m[1]!)
  return [...out]
}

/**
 * What the builder refuses before saving (the database checks the same rules):
 * an empty body, an e-mail without a subject, a condition on the first step, an
 * incomplete or reversed send window, a placeholder written with a typo (not a
 * known variable nor one of the agency's custom fields).
 */
export function validateSequenceSteps(steps: SequenceStep[], customFields: string[] = []): SequenceStepIssue[] {
  const issues: SequenceStepIssue[] = []
  const known = new Set<string>([...TEMPLATE_VARIABLES, ...customFields])
  steps.forEach((s, index) => {
    if (!Number.isInteger(s.day_offset) || s.day_offset < 0 || s.day_offset > 365) issues.push({ index, field: 'day_offset' })
    if (index === 0 && s.condition !== 'always') issues.push({ index, field: 'condition' })
    if (!s.variants.length || s.variants.length > 3) issues.push({ index, field: 'variants' })
    for (const v of s.variants) {
      if (!v.body.trim()) issues.push({ index, field: 'body', variant: v.key })
      if (s.channel === 'email' && !(v.subject ?? '').trim()) issues.push({ index, field: 'subject', variant: v.key })
      for (const p of [...templatePlaceholders(v.subject), ...templatePlaceholders(v.body)]) {
        if (!known.has(p)) issues.push({ index, field: 'variable', variant: v.key, detail: p })
      }
    }
    const hasStart = Boolean(s.window_start)
    const hasEnd = Boolean(s.window_end)
    if (hasStart !== hasEnd || (hasStart && hasEnd && s.window_start! >= s.window_end!)) issues.push({ index, field: 'window' })
    if (s.window_days && !s.window_days.length) issues.push({ index, field: 'window' })
  })
  return issues
}

/** A French sentence for one issue. */
export function stepIssueMessage(tr: Tr, i: SequenceStepIssue): string {
  const step = i.index + 1
  if (i.field === 'variable') return tr('sequences.issues.variable', { step, variant: i.variant, name: i.detail })
  if (i.variant && (i.field === 'body' || i.field === 'subject')) return tr(`sequences.issues.${i.field}`, { step, variant: i.variant })
  return tr(`sequences.issues.${i.field}`, { step })
}

/** The payload of save_sequence_steps (ids and A/B decisions are the database's). */
export function stepsSavePayload(steps: SequenceStep[]) {
  return steps.map((s) => ({
    day_offset: s.day_offset,
    channel: s.channel,
    task_kind: s.channel === 'task' ? (s.task_kind ?? 'call') : null,
    condition: s.condition,
    variants: s.variants.map((v) => ({ key: v.key, subject: s.channel === 'email' ? (v.subject ?? '').trim() : null, body: v.body, template_id: v.template_id ?? null })),
    window_days: s.window_days?.length ? [...s.window_days].sort((a, b) => a - b) : null,
    window_start: s.window_start || null,
    window_end: s.window_end || null,
  }))
}

export function newSequenceStep(position: number, channel: SendChannel = 'email'): SequenceStep {
  return {
    day_offset: position === 0 ? 0 : 2,
    channel,
    task_kind: channel === 'task' ? 'call' : null,
    condition: position === 0 ? 'always' : 'no_reply',
    variants: [{ key: 'A', subject: channel === 'email' ? '' : null, body: '' }],
    window_days: null,
    window_start: null,
    window_end: null,
  }
}

/** Adds the next A/B variant (copying the last one as a starting point); at most three. */
export function addStepVariant(step: SequenceStep): SequenceStep {
  if (step.variants.length >= 3) return step
  const last = step.variants[step.variants.length - 1]!
  const key = VARIANT_KEYS[step.variants.length]!
  return { ...step, variants: [...step.variants, { key, subject: last.subject, body: last.body }] }
}

/** Removes a variant and re-letters the rest A, B, C in order. */
export function removeStepVariant(step: SequenceStep, key: string): SequenceStep {
  if (step.variants.length <= 1) return step
  const rest = step.variants.filter((v) => v.key !== key)
  return { ...step, variants: rest.map((v, i) => ({ ...v, key: VARIANT_KEYS[i]! })) }
}

export function moveSequenceStep(steps: SequenceStep[], from: number, to: number): SequenceStep[] {
  if (to < 0 || to >= steps.length || from === to) return steps
  const out = [...steps]
  const [s] = out.splice(from, 1)
  out.splice(to, 0, s!)
  // the first step always runs: its condition goes back to "always"
  if (out[0]!.condition !== 'always') out[0] = { ...out[0]!, condition: 'always' }
  return out
}

// ---------------------------------------------------------------- timeline

export interface SequenceTimelineItem {
  position: number
  /** Sending days since enrolment when every earlier step ran on time (J+0 = the day of enrolment). */
  day: number
  offset: number
  channel: SendChannel
  taskKind: StepTaskKind | null
  condition: StepCondition
  variants: number
  isAB: boolean
  /** The step this one's condition looks at (the previous one), null when unconditional. */
  dependsOn: number | null
}

export function buildSequenceTimeline(steps: Pick<SequenceStep, 'day_offset' | 'channel' | 'task_kind' | 'condition' | 'variants'>[]): SequenceTimelineItem[] {
  let day = 0
  return steps.map((s, i) => {
    day += s.day_offset
    return {
      position: i + 1,
      day,
      offset: s.day_offset,
      channel: s.channel,
      taskKind: s.channel === 'task' ? (s.task_kind ?? 'call') : null,
      condition: s.condition,
      variants: s.variants.length,
      isAB: s.variants.length > 1,
      dependsOn: s.condition === 'always' || i === 0 ? null : i,
    }
  })
}

/** "Si l'étape 1 n'a pas été ouverte" / "Toujours". */
export function stepConditionLabel(tr: Tr, condition: StepCondition, previousPosition: number | null): string {
  if (condition === 'always' || previousPosition === null) return tr('sequences.condition.always')
  return tr(`sequences.condition.${condition}`, { step: previousPosition })
}

/** "Canal" wording: e-mail, SMS, WhatsApp, appel, visite. */
export function stepChannelLabel(tr: Tr, channel: SendChannel, taskKind?: StepTaskKind | null): string {
  return channel === 'task' ? tr(`sequences.channel.${taskKind ?? 'call'}`) : tr(`sequences.channel.${channel}`)
}

// ---------------------------------------------------------------- send windows

export interface TenantSendWindows {
  email_days: number[]; email_start: string; email_end: string
  sms_days: number[]; sms_start: string; sms_end: string
  default_timezone: string | null
}
export const DEFAULT_SEND_WINDOWS: TenantSendWindows = {
  email_days: [1, 2, 3, 4, 5], email_start: '08:00', email_end: '19:00',
  sms_days: [1, 2, 3, 4, 5, 6], sms_start: '08:00', sms_end: '20:00', default_timezone: null,
}
/** Legal limits the gate applies whatever the settings (docs/compliance.md). */
const LEGAL: Record<SendChannel, { days: number[]; start: string; end: string } | null> = {
  email: null,
  sms: { days: [1, 2, 3, 4, 5, 6], start: '08:00', end: '20:00' },
  whatsapp: { days: [1, 2, 3, 4, 5, 6], start: '08:00', end: '20:00' },
  task: { days: [1, 2, 3, 4, 5], start: '10:00', end: '20:00' },
}

const hhmm = (t: string) => t.slice(0, 5)

/** ISO days as compact French ranges: [1,2,3,4,5] → "lun.–ven."; [1,3,5] → "lun., mer., ven.". */
export function sendDaysSummary(tr: Tr, days: number[]): string {
  const d = [...new Set(days)].sort((a, b) => a - b)
  if (d.length === 7) return tr('sequences.window.everyDay')
  const groups: number[][] = []
  for (const x of d) {
    const g = groups[groups.length - 1]
    if (g && x === g[g.length - 1]! + 1) g.push(x)
    else groups.push([x])
  }
  return groups
    .map((g) => (g.length >= 3 ? `${tr(`sequences.days.${g[0]}`)}–${tr(`sequences.days.${g[g.length - 1]}`)}` : g.map((x) => tr(`sequences.days.${x}`)).join(', ')))
    .join(', ')
}

/**
 * The window a step really sends in: the step's own window narrowed by the
 * tenant's and the legal one (for SMS/WhatsApp/calls), in the recipient's time zone,
 * public holidays always skipped.
 */
export function effectiveSendWindow(step: Pick<SequenceStep, 'channel' | 'window_days' | 'window_start' | 'window_end'>, tenant: TenantSendWindows = DEFAULT_SEND_WINDOWS) {
  const base = step.channel === 'email' ? { days: tenant.email_days, start: tenant.email_start, end: tenant.email_end }
    : step.channel === 'task' ? { days: [1, 2, 3, 4, 5], start: '09:00', end: '20:00' }
    : { days: tenant.sms_days, start: tenant.sms_start, end: tenant.sms_end }
  const legal = LEGAL[step.channel]
  let days = step.window_days?.length ? base.days.filter((x) => step.window_days!.includes(x)) : [...base.days]
  let start = hhmm(step.window_start && hhmm(step.window_start) > hhmm(base.start) ? step.window_start : base.start)
  let end = hhmm(step.window_end && hhmm(step.window_end) < hhmm(base.end) ? step.window_end : base.end)
  if (legal) {
    days = days.filter((x) => legal.days.includes(x))
    if (start < legal.start) start = legal.start
    if (end > legal.end) end = legal.end
  }
  return { days, start, end, empty: days.length === 0 || start >= end }
}

/** "lun.–ven., 09:00–12:00 (heure du destinataire), jours fériés exclus". */
export function stepWindowSummary(tr: Tr, step: Pick<SequenceStep, 'channel' | 'window_days' | 'window_start' | 'window_end'>, tenant: TenantSendWindows = DEFAULT_SEND_WINDOWS): string {
  const w = effectiveSendWindow(step, tenant)
  if (w.empty) return tr('sequences.window.never')
  return tr('sequences.window.summary', { days: sendDaysSummary(tr, w.days), start: w.start, end: w.end })
}

// ---------------------------------------------------------------- figures

/** n / d as a fraction, null when nothing was sent (the UI shows "—", not 0 %). */
export function sendRate(n: number, d: number): number | null {
  return d > 0 ? n / d : null
}

export interface StepStatRow {
  step_id: string; version: number; position: number; channel: SendChannel; variant: string | null
  queued: number; sent: number; delivered: number; opened: number; clicked: number; replied: number
  bounced: number; complained: number; unsubscribed: number; failed: number; cancelled: number
}
export interface StepFunnel { sent: number; delivered: number; opened: number; clicked: number; replied: number; bounced: number; unsubscribed: number; queued: number; failed: number }

const ZERO: StepFunnel = { sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0, bounced: 0, unsubscribed: 0, queued: 0, failed: 0 }
const add = (a: StepFunnel, r: Partial<StepFunnel>): StepFunnel => ({
  sent: a.sent + Number(r.sent ?? 0), delivered: a.delivered + Number(r.delivered ?? 0), opened: a.opened + Number(r.opened ?? 0),
  clicked: a.clicked + Number(r.clicked ?? 0), replied: a.replied + Number(r.replied ?? 0), bounced: a.bounced + Number(r.bounced ?? 0),
  unsubscribed: a.unsubscribed + Number(r.unsubscribed ?? 0), queued: a.queued + Number(r.queued ?? 0), failed: a.failed + Number(r.failed ?? 0),
})

/** StepFunnel per step position (all versions summed) and per variant of that position. */
export function funnelByStep(rows: StepStatRow[]): Map<number, { total: StepFunnel; variants: Map<string, StepFunnel> }> {
  const out = new Map<number, { total: StepFunnel; variants: Map<string, StepFunnel> }>()
  for (const r of rows) {
    const e = out.get(r.position) ?? { total: { ...ZERO }, variants: new Map<string, StepFunnel>() }
    e.total = add(e.total, r)
    if (r.variant) e.variants.set(r.variant, add(e.variants.get(r.variant) ?? { ...ZERO }, r))
    out.set(r.position, e)
  }
  return out
}

export interface SequenceHealth { bounceRate: number | null; complaintRate: number | null; level: 'ok' | 'warning' | 'danger'; reasons: ('bounces' | 'complaints')[] }
/**
 * SequenceHealth of a sequence: complaints above 0.1 % of sends (the auto-pause
 * threshold) or hard bounces above 5 % are a danger, bounces above 2 % a warning.
 */
export function sequenceHealth(x: { sent: number; bounced: number; complained: number }): SequenceHealth {
  const bounceRate = sendRate(x.bounced, x.sent)
  const complaintRate = sendRate(x.complained, x.sent)
  const reasons: SequenceHealth['reasons'] = []
  let level: SequenceHealth['level'] = 'ok'
  if (complaintRate !== null && complaintRate > 0.001) { level = 'danger'; reasons.push('complaints') }
  if (bounceRate !== null && bounceRate > 0.05) { level = 'danger'; reasons.push('bounces') }
  else if (bounceRate !== null && bounceRate > 0.02) { if (level === 'ok') level = 'warning'; reasons.push('bounces') }
  return { bounceRate, complaintRate, level, reasons }
}

export interface SendQuotaState { used: number; quota: number | null; pct: number | null; level: 'ok' | 'warning' | 'exceeded' | 'unlimited'; remaining: number | null }
/** The monthly plan quota: warning from 80 %, exceeded at 100 % (the tick defers the rest to next month). */
export function sendQuotaState(used: number, quota: number | null): SendQuotaState {
  if (quota === null) return { used, quota, pct: null, level: 'unlimited', remaining: null }
  const pct = quota > 0 ? Math.min(100, (used / quota) * 100) : 100
  const level = used >= quota ? 'exceeded' : pct >= 80 ? 'warning' : 'ok'
  return { used, quota, pct, level, remaining: Math.max(0, quota - used) }
}

// ---------------------------------------------------------------- A/B

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}

export interface AbArm { key: string; sent: number; successes: number }
export interface AbReading { arms: (AbArm & { rate: number | null })[]; leader: string | null; pValue: number | null; significant: boolean; sampleReached: boolean }

/**
 * The leader against the runner-up with a two-sided two-proportion z-test
 * (pooled); significant at p < 0.05 once every arm reached the minimum sample.
 */
export function abReading(arms: AbArm[], minSample: number, alpha = 0.05): AbReading {
  const withRate = arms.map((a) => ({ ...a, rate: sendRate(a.successes, a.sent) }))
  const sampleReached = arms.length > 1 && arms.every((a) => a.sent >= minSample)
  const ranked = [...withRate].filter((a) => a.rate !== null).sort((a, b) => b.rate! - a.rate! || a.key.localeCompare(b.key))
  if (ranked.length < 2) return { arms: withRate, leader: ranked[0]?.key ?? null, pValue: null, significant: false, sampleReached }
  const [a, b] = ranked as [typeof ranked[0], typeof ranked[0]]
  const pooled = (a.successes + b.successes) / (a.sent + b.sent)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent))
  const pValue = a.rate === b.rate ? 1 : se === 0 ? 0 : 2 * (1 - normalCdf(Math.abs(a.rate! - b.rate!) / se))
  const leader = a.rate === b.rate ? null : a.key
  return { arms: withRate, leader, pValue, significant: sampleReached && leader !== null && pValue < alpha, sampleReached }
}

/** Reasons stored by the engine (held_reason 'missing_variable:firstName,city'; exit reasons) → translated sentence. */
export function enrolmentReasonLabel(tr: Tr, reason: string | null | undefined, known: (key: string) => boolean): string {
  if (!reason) return ''
  const [code, detail] = reason.split(':') as [string, string | undefined]
  if (code === 'missing_variable') return tr('sequences.reason.missing_variable', { names: (detail ?? '').split(',').join(', ') })
  const key = `sequences.reason.${code}`
  return known(key) ? tr(key) : tr('sequences.reason.other', { code })
}
