import type { RealtimeChannel } from '@supabase/supabase-js'
import { z } from 'zod'
import { dealRowSchema, mergeDealEdits, type DealEdit, type DealRow } from './usePipelineModel'
import { pipelineRpcError } from './usePipelineBoard'

export type DayPeriod = 'morning' | 'afternoon' | 'evening'
export const DAY_PERIODS: DayPeriod[] = ['morning', 'afternoon', 'evening']

const contactSchema = z.object({
  id: z.string(), first_name: z.string().nullable(), last_name: z.string().nullable(), company_name: z.string().nullable(),
  email: z.string().nullable(), phone: z.string().nullable(), deleted_at: z.string().nullable(),
})
export type DealContact = z.infer<typeof contactSchema>

const taskSchema = z.object({
  id: z.string(), subject: z.string().nullable(), body: z.string().nullable(), due_date: z.string().nullable(),
  day_period: z.enum(['morning', 'afternoon', 'evening']).nullable(), done_at: z.string().nullable(), assigned_to: z.string().nullable(),
  deal_id: z.string().nullable(), contact_id: z.string().nullable(),
})
export type DealTask = z.infer<typeof taskSchema>

const timelineSchema = z.array(z.object({
  at: z.string(), kind: z.enum(['stage', 'event', 'activity', 'message']), actor_id: z.string().nullable(), data: z.record(z.string(), z.unknown()),
}))
export type DealTimelineItem = z.infer<typeof timelineSchema>[number]

/** Today's date in Europe/Paris as yyyy-mm-dd (the agencies' day, same on server and browser). */
export function pipelineTodayIso(at = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** The edit a version conflict could not merge: these fields were changed by someone else too. */
export class DealEditConflict extends Error {
  constructor(public fields: string[], public row: DealRow) {
    super('deal_edit_conflict')
  }
}

/** One deal for its page: the row, its contact, timeline, tasks and notes, kept live by Realtime. */
export function useDeal(dealId: Ref<string>) {
  const supabase = useSupabase()
  const session = useSessionStore()
  const deal = ref<DealRow | null>(null)
  let channel: RealtimeChannel | null = null

  async function load(): Promise<DealRow | null> {
    const { data, error } = await supabase.from('deals').select('*').eq('id', dealId.value).maybeSingle()
    if (error) throw error
    const parsed = dealRowSchema.safeParse(data)
    deal.value = parsed.success ? parsed.data : null
    return deal.value
  }

  async function contact(contactId: string | null): Promise<DealContact | null> {
    if (!contactId) return null
    const { data, error } = await supabase.from('contacts').select('id, first_name, last_name, company_name, email, phone, deleted_at').eq('id', contactId).maybeSingle()
    if (error) throw error
    const parsed = contactSchema.safeParse(data)
    return parsed.success ? parsed.data : null
  }

  async function timeline(): Promise<DealTimelineItem[]> {
    const { data, error } = await supabase.rpc('deal_timeline', { p_deal_id: dealId.value, p_limit: 200 })
    if (error) throw error
    const parsed = timelineSchema.safeParse(data)
    return parsed.success ? parsed.data : []
  }

  async function tasks(): Promise<DealTask[]> {
    const { data, error } = await supabase.from('activities').select('id, subject, body, due_date, day_period, done_at, assigned_to, deal_id, contact_id')
      .eq('deal_id', dealId.value).eq('kind', 'task').order('done_at', { ascending: false, nullsFirst: true }).order('due_date', { ascending: true })
    if (error) throw error
    return z.array(taskSchema).parse(data ?? [])
  }

  /**
   * Saves the form. The update only applies to the version the form was opened
   * with; after a conflict the edit is merged three-way (mergeDealEdits) and
   * retried once; fields changed on both sides raise DealEditConflict with the
   * current row (nothing of theirs is overwritten, the user decides).
   */
  async function save(base: DealEdit, mine: DealEdit): Promise<DealRow> {
    const current = deal.value
    if (!current) throw new Error('deal_not_loaded')
    const changed = Object.fromEntries(Object.entries(mine).filter(([k, v]) => v !== base[k as keyof DealEdit]))
    if (!Object.keys(changed).length) return current
    const attempt = async (patch: Record<string, unknown>, version: number) => {
      const { data, error } = await supabase.from('deals').update(patch).eq('id', dealId.value).eq('version', version).select('*')
      if (error) throw error
      return data?.length ? dealRowSchema.parse(data[0]) : null
    }
    let row = await attempt(changed, current.version)
    if (!row) {
      const theirs = await load()
      if (!theirs) throw Object.assign(new Error('deal_not_found'), { code: 'deal_not_found' })
      if (theirs.version === current.version) throw Object.assign(new Error('insufficient_role'), { code: 'insufficient_role' })
      const { patch, conflicts } = mergeDealEdits(base, mine, theirs as unknown as DealEdit)
      if (conflicts.length) throw new DealEditConflict(conflicts, theirs)
      row = Object.keys(patch).length ? await attempt(patch, theirs.version) : theirs
      if (!row) throw new DealEditConflict(Object.keys(patch), theirs)
    }
    deal.value = row
    return row
  }

  async function move(stageId: string, extra: { lostReason?: string; wonAmount?: number | null; wonOn?: string | null } = {}) {
    const current = deal.value
    if (!current) return
    const { data, error } = await supabase.rpc('move_deal', {
      p_deal_id: current.id, p_stage_id: stageId, p_after_deal_id: null, p_expected_version: current.version,
      p_lost_reason: extra.lostReason ?? null, p_won_amount: extra.wonAmount ?? null, p_won_on: extra.wonOn ?? null,
    })
    if (error) {
      if (pipelineRpcError(error).message === 'deal_moved_meanwhile') await load()
      throw error
    }
    const parsed = dealRowSchema.safeParse(Array.isArray(data) ? data[0] : data)
    if (parsed.success) deal.value = parsed.data
  }

  async function addTask(t: { subject: string; due_date: string; day_period: DayPeriod | null; assigned_to: string | null }) {
    const current = deal.value
    if (!current) return
    const { error } = await supabase.from('activities').insert({
      tenant_id: (current as { tenant_id?: string }).tenant_id ?? session.currentTenantId, kind: 'task', deal_id: current.id, contact_id: current.contact_id,
      subject: t.subject.trim(), due_date: t.due_date, day_period: t.day_period, assigned_to: t.assigned_to ?? session.user?.id ?? null,
    })
    if (error) throw error
  }

  async function setTaskDone(taskId: string, done: boolean) {
    const { data, error } = await supabase.from('activities').update({ done_at: done ? new Date().toISOString() : null }).eq('id', taskId).select('id')
    if (error) throw error
    if (!data?.length) throw Object.assign(new Error('insufficient_role'), { code: 'insufficient_role' })
  }

  async function addNote(body: string) {
    const current = deal.value
    if (!current) return
    const { error } = await supabase.from('activities').insert({
      tenant_id: (current as { tenant_id?: string }).tenant_id ?? session.currentTenantId, kind: 'note', deal_id: current.id, contact_id: current.contact_id, body: body.trim(),
    })
    if (error) throw error
  }

  function subscribe(onRemoteChange: () => void) {
    unsubscribe()
    channel = supabase
      .channel(`deal:${dealId.value}`)
      .on('postgres_changes' as never, { event: 'UPDATE', schema: 'public', table: 'deals', filter: `id=eq.${dealId.value}` }, ((p: { new: unknown }) => {
        const parsed = dealRowSchema.safeParse(p.new)
        if (parsed.success && (!deal.value || parsed.data.version > deal.value.version)) {
          deal.value = parsed.data
          onRemoteChange()
        }
      }) as never)
      .subscribe()
  }
  function unsubscribe() {
    if (channel) void supabase.removeChannel(channel)
    channel = null
  }
  onBeforeUnmount(unsubscribe)

  return { deal, load, contact, timeline, tasks, save, move, addTask, setTaskDone, addNote, subscribe }
}

export interface TodayTask extends DealTask {
  deal: { id: string; title: string } | null
  contact: { first_name: string | null; last_name: string | null; company_name: string | null } | null
}

/** Open tasks due today or earlier, mine or the whole team's, for the "Aujourd'hui" view. */
export function usePipelineToday() {
  const supabase = useSupabase()
  const session = useSessionStore()
  async function list(scope: 'mine' | 'team'): Promise<TodayTask[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    let q = supabase.from('activities')
      .select('id, subject, body, due_date, day_period, done_at, assigned_to, deal_id, contact_id, deal:deals(id, title), contact:contacts(first_name, last_name, company_name)')
      .eq('tenant_id', tenantId).eq('kind', 'task').is('done_at', null).lte('due_date', pipelineTodayIso())
      .order('due_date', { ascending: true }).limit(500)
    if (scope === 'mine' && session.user) q = q.eq('assigned_to', session.user.id)
    const { data, error } = await q
    if (error) throw error
    return (data ?? []) as unknown as TodayTask[]
  }
  async function setDone(taskId: string, done: boolean) {
    const { data, error } = await supabase.from('activities').update({ done_at: done ? new Date().toISOString() : null }).eq('id', taskId).select('id')
    if (error) throw error
    if (!data?.length) throw Object.assign(new Error('insufficient_role'), { code: 'insufficient_role' })
  }
  return { list, setDone }
}
