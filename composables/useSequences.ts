import type { RealtimeChannel } from '@supabase/supabase-js'
import { z } from 'zod'
import { sequenceStepSchema, stepsSavePayload, type SequenceStep, type StepStatRow } from './useSequenceLogic'

export type SequenceStatus = 'draft' | 'active' | 'paused' | 'archived'
export type EnrolmentStatus = 'active' | 'paused' | 'held' | 'completed' | 'exited'

const num = z.coerce.number()
export const overviewRowSchema = z.object({
  id: z.string(), name: z.string(), status: z.enum(['draft', 'active', 'paused', 'archived']), paused_reason: z.string().nullable(),
  audience: z.enum(['base', 'segment']), prospect_base_id: z.string().nullable(), base_name: z.string().nullable(),
  reevaluate_audience: z.boolean(), current_version: z.number(), audience_size: num.nullable(),
  enrolled: num, active: num, held: num, completed: num, exited: num,
  sent: num, delivered: num, opened: num, clicked: num, replied: num, bounced: num, complained: num, unsubscribed: num,
  steps: num, created_at: z.string(), updated_at: z.string(),
})
export type SequenceOverview = z.infer<typeof overviewRowSchema>

export const sequenceSchema = z.object({
  id: z.string(), tenant_id: z.string(), name: z.string(), status: z.enum(['draft', 'active', 'paused', 'archived']),
  audience: z.enum(['base', 'segment']), prospect_base_id: z.string().nullable(), reevaluate_audience: z.boolean(),
  current_version: z.number(), max_attempts: z.number(), exit_on_reply: z.boolean(), ab_min_sample: z.number(),
  ab_metric: z.enum(['reply', 'click']), paused_reason: z.string().nullable(), updated_at: z.string(),
})
export type Sequence = z.infer<typeof sequenceSchema>

const statRowSchema = z.object({
  step_id: z.string(), version: z.number(), position: z.number(), channel: z.enum(['email', 'sms', 'whatsapp', 'task']), variant: z.string().nullable(),
  queued: num, sent: num, delivered: num, opened: num, clicked: num, replied: num, bounced: num, complained: num, unsubscribed: num, failed: num, cancelled: num,
})
const summarySchema = z.object({ version: z.number(), position: z.number(), status: z.enum(['active', 'paused', 'held', 'completed', 'exited']), reason: z.string().nullable(), contacts: num })
export type EnrolmentSummary = z.infer<typeof summarySchema>
const contactRowSchema = z.object({
  enrolment_id: z.string(), contact_id: z.string(), display_name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(),
  status: z.enum(['active', 'paused', 'held', 'completed', 'exited']), sequence_version: z.number(), current_position: z.number(),
  next_due_at: z.string().nullable(), held_reason: z.string().nullable(), exit_reason: z.string().nullable(), attempts: z.number(),
  enrolled_at: z.string(), last_send_at: z.string().nullable(), last_send_status: z.string().nullable(), last_event: z.string().nullable(),
})
export type SequenceContact = z.infer<typeof contactRowSchema>
const previewSchema = z.object({
  contact_id: z.string(), display_name: z.string().nullable(), to_address: z.string().nullable(), subject: z.string().nullable(), body: z.string().nullable(),
  missing: z.array(z.string()), held: z.boolean(), gate_reason: z.string().nullable(), audience_total: num, held_total: num,
})
export type PreviewRow = z.infer<typeof previewSchema>
const usageSchema = z.object({ channel: z.enum(['email', 'sms', 'whatsapp', 'task']), used: num, quota: z.number().nullable(), period: z.string() })
export type UsageRow = z.infer<typeof usageSchema>
const stepRowSchema = sequenceStepSchema.extend({ id: z.string(), version: z.number(), position: z.number() })
export type StoredStep = z.infer<typeof stepRowSchema>

/** The stable code of an RPC/PostgREST error (`invalid_steps`, `quota_exceeded`…) and its JSON detail. */
export function sequenceErrorCode(e: unknown): { code: string; detail: Record<string, unknown> } {
  const o = (e ?? {}) as { message?: unknown; details?: unknown; code?: unknown }
  let detail: Record<string, unknown> = {}
  try { detail = typeof o.details === 'string' ? JSON.parse(o.details) : {} } catch { detail = {} }
  const code = typeof o.message === 'string' && /^[a-z_]+$/.test(o.message) ? o.message : typeof o.code === 'string' ? o.code : 'unknown'
  return { code, detail }
}

/** A French sentence for a sequences error (falls back to the app's generic messages). */
export function useSequenceErrorMessage() {
  const { t, te } = useI18n()
  const generic = useErrorMessage()
  return (e: unknown) => {
    const { code, detail } = sequenceErrorCode(e)
    if (te(`sequences.errors.${code}`)) return t(`sequences.errors.${code}`, detail as Record<string, string>)
    return generic(e)
  }
}

export const createSequenceSchema = z.object({
  name: z.string().trim().min(1, 'required').max(200, 'tooLong'),
  prospect_base_id: z.string().uuid('baseRequired'),
})

const STEP_COLUMNS = 'id, version, position, day_offset, channel, task_kind, condition, variants, window_days, window_start, window_end, winner_variant, winner_decided_at, winner_stats'
const SEQUENCE_COLUMNS = 'id, tenant_id, name, status, audience, prospect_base_id, reevaluate_audience, current_version, max_attempts, exit_on_reply, ab_min_sample, ab_metric, paused_reason, updated_at'

/** Sequences of the current tenant: list, builder, stats, enrolments (RLS decides; writes through RPCs). */
export function useSequences() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenantId = () => {
    if (!session.currentTenantId) throw new Error('no tenant')
    return session.currentTenantId
  }

  async function list(): Promise<SequenceOverview[]> {
    const { data, error } = await supabase.rpc('sequence_overview', { p_tenant_id: tenantId() })
    if (error) throw error
    return z.array(overviewRowSchema).parse(data ?? [])
  }

  async function usage(): Promise<UsageRow[]> {
    const { data, error } = await supabase.rpc('sending_usage', { p_tenant_id: tenantId() })
    if (error) throw error
    return z.array(usageSchema).parse(data ?? [])
  }

  async function bases(): Promise<{ id: string; name: string; members: number }[]> {
    const { data, error } = await supabase.rpc('sequence_bases', { p_tenant_id: tenantId() })
    if (error) throw error
    return z.array(z.object({ id: z.string(), name: z.string(), members: num })).parse(data ?? [])
  }

  async function create(input: { name: string; prospect_base_id: string }): Promise<string> {
    const v = createSequenceSchema.parse(input)
    const { data, error } = await supabase.from('sequences').insert({ tenant_id: tenantId(), name: v.name, audience: 'base', prospect_base_id: v.prospect_base_id }).select('id').single()
    if (error) throw error
    return data.id as string
  }

  async function get(id: string): Promise<{ sequence: Sequence; steps: StoredStep[] } | null> {
    const { data, error } = await supabase.from('sequences').select(SEQUENCE_COLUMNS).eq('id', id).eq('tenant_id', tenantId()).maybeSingle()
    if (error) throw error
    if (!data) return null
    const sequence = sequenceSchema.parse(data)
    const { data: steps, error: e2 } = await supabase.from('sequence_steps').select(STEP_COLUMNS)
      .eq('sequence_id', id).eq('tenant_id', tenantId()).order('version').order('position')
    if (e2) throw e2
    return { sequence, steps: z.array(stepRowSchema).parse(steps ?? []) }
  }

  async function update(id: string, patch: Partial<Pick<Sequence, 'name' | 'prospect_base_id' | 'reevaluate_audience' | 'max_attempts' | 'exit_on_reply' | 'ab_min_sample' | 'ab_metric'>>) {
    const { error } = await supabase.from('sequences').update(patch).eq('id', id).eq('tenant_id', tenantId())
    if (error) throw error
  }

  async function saveSteps(id: string, steps: SequenceStep[]): Promise<{ version: number; new_version: boolean }> {
    const { data, error } = await supabase.rpc('save_sequence_steps', { p_sequence_id: id, p_steps: stepsSavePayload(steps) })
    if (error) throw error
    return z.object({ version: z.number(), new_version: z.boolean() }).parse(data)
  }

  async function setState(id: string, action: 'launch' | 'pause' | 'resume' | 'archive') {
    const { data, error } = await supabase.rpc('set_sequence_state', { p_sequence_id: id, p_action: action })
    if (error) throw error
    return z.object({ status: z.string(), enrolled: z.number() }).parse(data)
  }

  async function stats(id: string): Promise<StepStatRow[]> {
    const { data, error } = await supabase.rpc('sequence_step_stats', { p_sequence_id: id })
    if (error) throw error
    return z.array(statRowSchema).parse(data ?? []) as StepStatRow[]
  }

  async function summary(id: string): Promise<EnrolmentSummary[]> {
    const { data, error } = await supabase.rpc('sequence_enrolment_summary', { p_sequence_id: id })
    if (error) throw error
    return z.array(summarySchema).parse(data ?? [])
  }

  async function contacts(id: string, opts: { status?: EnrolmentStatus | null; search?: string; after?: { at: string; id: string } | null; limit?: number } = {}): Promise<SequenceContact[]> {
    const { data, error } = await supabase.rpc('sequence_contacts', {
      p_sequence_id: id, p_status: opts.status ?? null, p_search: opts.search?.trim() || null, p_limit: opts.limit ?? 25,
      p_after_enrolled_at: opts.after?.at ?? null, p_after_id: opts.after?.id ?? null,
    })
    if (error) throw error
    return z.array(contactRowSchema).parse(data ?? [])
  }

  async function setEnrolmentState(enrolmentId: string, action: 'pause' | 'resume' | 'remove') {
    const { error } = await supabase.rpc('set_enrolment_state', { p_enrolment_id: enrolmentId, p_action: action })
    if (error) throw error
  }

  async function preview(stepId: string, variant: string, contactId: string | null = null, limit = 12): Promise<PreviewRow[]> {
    const { data, error } = await supabase.rpc('preview_sequence_step', { p_step_id: stepId, p_variant: variant, p_contact_id: contactId, p_limit: limit })
    if (error) throw error
    return z.array(previewSchema).parse(data ?? [])
  }

  async function setWinner(stepId: string, variant: string | null) {
    const { error } = await supabase.rpc('set_ab_winner', { p_step_id: stepId, p_variant: variant })
    if (error) throw error
  }

  async function sendingSettings() {
    const { data, error } = await supabase.from('tenant_sending_settings')
      .select('email_days, email_start, email_end, sms_days, sms_start, sms_end, default_timezone, frequency_cap_hours, sender_email')
      .eq('tenant_id', tenantId()).maybeSingle()
    if (error) throw error
    return data as null | { email_days: number[]; email_start: string; email_end: string; sms_days: number[]; sms_start: string; sms_end: string; default_timezone: string | null; frequency_cap_hours: number; sender_email: string | null }
  }

  async function setFrequencyCap(hours: number) {
    const { error } = await supabase.from('tenant_sending_settings').upsert({ tenant_id: tenantId(), frequency_cap_hours: hours }, { onConflict: 'tenant_id' })
    if (error) throw error
  }

  /** Custom-field names used by the agency's contacts (placeholders they may use). */
  async function customFieldNames(): Promise<string[]> {
    const { data, error } = await supabase.from('contacts').select('custom_fields').eq('tenant_id', tenantId()).neq('custom_fields', '{}').limit(200)
    if (error) throw error
    return [...new Set((data ?? []).flatMap((r: { custom_fields: Record<string, unknown> }) => Object.keys(r.custom_fields ?? {})))]
  }

  /**
   * E-mails a rendered step to the signed-in user (the `send-test` function:
   * the agency's sender, footer and unsubscribe link; nothing in the ledger).
   */
  async function sendTestToSelf(subject: string, text: string): Promise<string> {
    const { data, error } = await supabase.functions.invoke('send-test', { body: { tenant_id: tenantId(), subject, text } })
    if (error) {
      const ctx = (error as { context?: Response }).context
      const body = ctx && typeof ctx.json === 'function' ? await ctx.json().catch(() => null) : null
      throw Object.assign(new Error(body?.error?.message ?? error.message), { code: body?.error?.details?.code ?? body?.error?.code ?? 'send_test_failed', details: JSON.stringify(body?.error?.details ?? {}) })
    }
    return String((data as { to?: string })?.to ?? '')
  }

  /** The agency's message templates for a channel (library managed on /modeles). */
  async function templates(channel: string): Promise<{ id: string; name: string; subject: string | null; body: string }[]> {
    const { data, error } = await supabase.from('message_templates').select('id, name, subject, body')
      .eq('tenant_id', tenantId()).eq('channel', channel === 'task' ? 'email' : channel).order('name').limit(200)
    if (error) throw error
    return (data ?? []) as { id: string; name: string; subject: string | null; body: string }[]
  }

  /**
   * Live changes for one sequence: its ledger rows, their events, its enrolments
   * and itself. `onChange` is debounced by the caller; the channel is removed by `stop()`.
   */
  function subscribe(sequenceId: string, onChange: (table: string) => void): () => void {
    const t = tenantId()
    const channel: RealtimeChannel = supabase.channel(`sequence:${sequenceId}:${Math.random().toString(36).slice(2, 8)}`)
    for (const [table, filter] of [
      ['message_sends', `sequence_id=eq.${sequenceId}`], ['message_events', `tenant_id=eq.${t}`],
      ['sequence_enrolments', `sequence_id=eq.${sequenceId}`], ['sequences', `id=eq.${sequenceId}`],
    ] as const) {
      channel.on('postgres_changes' as never, { event: '*', schema: 'public', table, filter }, (() => onChange(table)) as never)
    }
    channel.subscribe()
    return () => void supabase.removeChannel(channel)
  }

  /** Live changes of the tenant's ledger (quota meter, list figures). */
  function subscribeTenant(onChange: () => void): () => void {
    const channel: RealtimeChannel = supabase.channel(`sequences:${tenantId()}:${Math.random().toString(36).slice(2, 8)}`)
    channel.on('postgres_changes' as never, { event: '*', schema: 'public', table: 'message_sends', filter: `tenant_id=eq.${tenantId()}` }, (() => onChange()) as never)
    channel.on('postgres_changes' as never, { event: '*', schema: 'public', table: 'sequences', filter: `tenant_id=eq.${tenantId()}` }, (() => onChange()) as never)
    channel.subscribe()
    return () => void supabase.removeChannel(channel)
  }

  return { list, usage, bases, create, get, update, saveSteps, setState, stats, summary, contacts, setEnrolmentState, preview, setWinner, sendingSettings, setFrequencyCap, customFieldNames, templates, sendTestToSelf, subscribe, subscribeTenant }
}
