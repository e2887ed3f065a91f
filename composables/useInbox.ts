import type { RealtimeChannel } from '@supabase/supabase-js'
import { z } from 'zod'

export type ThreadStatus = 'open' | 'handled' | 'snoozed'
export type ThreadChannel = 'email' | 'sms' | 'whatsapp'

const threadSchema = z.object({
  id: z.string(), contact_id: z.string(), channel: z.enum(['email', 'sms', 'whatsapp', 'task']), status: z.enum(['open', 'handled', 'snoozed']),
  assigned_user_id: z.string().nullable(), subject: z.string().nullable(), last_message_at: z.string().nullable(),
  last_message_preview: z.string().nullable(), last_direction: z.enum(['in', 'out']).nullable(), unread_count: z.number(),
  display_name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(), company_name: z.string().nullable(),
})
export type Thread = z.infer<typeof threadSchema>
const messageSchema = z.object({
  id: z.string(), direction: z.enum(['in', 'out']), channel: z.string(), subject: z.string().nullable(), body_text: z.string(),
  from_address: z.string().nullable(), author_id: z.string().nullable(), send_id: z.string().nullable(), created_at: z.string(),
})
export type ThreadMessage = z.infer<typeof messageSchema> & { send_status?: string | null; send_error?: string | null }
const contextSchema = z.object({
  contact: z.object({
    id: z.string(), display_name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(), company_name: z.string().nullable(),
    job_title: z.string().nullable(), city: z.string().nullable(), lifecycle_stage: z.string(), owner_id: z.string().nullable(), do_not_contact: z.boolean(),
    email_consent: z.string(), sms_consent: z.string(),
  }),
  score: z.object({ score: z.number(), label: z.string(), next_action: z.string() }).nullable(),
  deals: z.array(z.object({ id: z.string(), title: z.string(), value: z.number().nullable(), stage: z.string(), kind: z.string() })),
  sequences: z.array(z.object({ sequence_id: z.string(), name: z.string(), status: z.string(), position: z.number(), exit_reason: z.string().nullable() })),
})
export type ThreadContext = z.infer<typeof contextSchema>
const countSchema = z.object({ status: z.enum(['open', 'handled', 'snoozed']), threads: z.coerce.number(), unread: z.coerce.number(), mine: z.coerce.number() })

/** Replies: e-mail up to 10,000 characters (the RPC's limit), SMS/WhatsApp up to 1,000. */
export function replySchema(channel: string) {
  return z.object({
    body: z.string().trim().min(1, 'empty').max(channel === 'email' ? 10000 : 1000, 'tooLong'),
    subject: z.string().trim().max(250, 'subjectTooLong').optional(),
  })
}

/** The agency's conversations: threads, messages, reply, handled/assign, live updates (RLS decides). */
export function useInbox() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenantId = () => {
    if (!session.currentTenantId) throw new Error('no tenant')
    return session.currentTenantId
  }

  async function threads(f: { status: ThreadStatus | null; channel: ThreadChannel | null; mine: boolean; search: string; before?: { at: string; id: string } | null; limit?: number }): Promise<Thread[]> {
    const { data, error } = await supabase.rpc('inbox_threads', {
      p_tenant_id: tenantId(), p_status: f.status, p_channel: f.channel, p_assigned_to_me: f.mine, p_search: f.search.trim() || null,
      p_limit: f.limit ?? 30, p_before_at: f.before?.at ?? null, p_before_id: f.before?.id ?? null,
    })
    if (error) throw error
    return z.array(threadSchema).parse(data ?? [])
  }

  async function counts() {
    const { data, error } = await supabase.rpc('inbox_counts', { p_tenant_id: tenantId() })
    if (error) throw error
    return z.array(countSchema).parse(data ?? [])
  }

  async function messages(conversationId: string): Promise<ThreadMessage[]> {
    const { data, error } = await supabase.from('conversation_messages')
      .select('id, direction, channel, subject, body_text, from_address, author_id, send_id, created_at')
      .eq('tenant_id', tenantId()).eq('conversation_id', conversationId).order('created_at').order('id').limit(500)
    if (error) throw error
    const list: ThreadMessage[] = z.array(messageSchema).parse(data ?? [])
    const sendIds = list.map((m) => m.send_id).filter((x): x is string => Boolean(x))
    if (sendIds.length) {
      const { data: sends, error: e2 } = await supabase.from('message_sends').select('id, status, error').in('id', sendIds)
      if (e2) throw e2
      const by = new Map((sends ?? []).map((s: { id: string; status: string; error: string | null }) => [s.id, s]))
      for (const m of list) if (m.send_id && by.has(m.send_id)) { m.send_status = by.get(m.send_id)!.status; m.send_error = by.get(m.send_id)!.error }
    }
    return list
  }

  async function context(conversationId: string): Promise<ThreadContext | null> {
    const { data, error } = await supabase.rpc('inbox_contact_context', { p_conversation_id: conversationId })
    if (error) throw error
    return data ? contextSchema.parse(data) : null
  }

  async function reply(conversationId: string, channel: string, input: { body: string; subject?: string }, clientKey: string) {
    const v = replySchema(channel).parse(input)
    const { data, error } = await supabase.rpc('send_conversation_reply', {
      p_conversation_id: conversationId, p_body: v.body, p_subject: channel === 'email' ? (v.subject || null) : null, p_client_key: clientKey,
    })
    if (error) throw error
    return data as { id: string }
  }

  async function markRead(conversationId: string) {
    const { error } = await supabase.rpc('mark_conversation_read', { p_conversation_id: conversationId })
    if (error) throw error
  }

  async function setStatus(conversationId: string, status: ThreadStatus) {
    const { error } = await supabase.from('conversations').update({ status, snoozed_until: null }).eq('id', conversationId).eq('tenant_id', tenantId())
    if (error) throw error
  }

  async function assign(conversationId: string, userId: string | null) {
    const { error } = await supabase.from('conversations').update({ assigned_user_id: userId }).eq('id', conversationId).eq('tenant_id', tenantId())
    if (error) throw error
  }

  /** Threads of the tenant (list) and the messages of the open thread, live. */
  function subscribe(onThreads: () => void, onMessage: (conversationId: string) => void): () => void {
    const t = tenantId()
    const channel: RealtimeChannel = supabase.channel(`inbox:${t}:${Math.random().toString(36).slice(2, 8)}`)
    channel.on('postgres_changes' as never, { event: '*', schema: 'public', table: 'conversations', filter: `tenant_id=eq.${t}` }, (() => onThreads()) as never)
    channel.on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'conversation_messages', filter: `tenant_id=eq.${t}` },
      ((p: { new: { conversation_id: string } }) => onMessage(p.new.conversation_id)) as never)
    channel.on('postgres_changes' as never, { event: 'UPDATE', schema: 'public', table: 'message_sends', filter: `tenant_id=eq.${t}` },
      ((p: { new: { conversation_id?: string | null } }) => { if (p.new.conversation_id) onMessage(p.new.conversation_id) }) as never)
    channel.subscribe()
    return () => void supabase.removeChannel(channel)
  }

  return { threads, counts, messages, context, reply, markRead, setStatus, assign, subscribe }
}

/** The inbox's error sentences (reply refused by a consent rule, quota, role…). */
export function useInboxErrorMessage() {
  const { t, te } = useI18n()
  const generic = useErrorMessage()
  return (e: unknown) => {
    const o = (e ?? {}) as { message?: string; details?: string }
    let detail: Record<string, string> = {}
    try { detail = o.details ? JSON.parse(o.details) : {} } catch { detail = {} }
    if (o.message === 'send_blocked' && detail.reason) {
      return te(`inbox.blocked.${detail.reason}`) ? t(`inbox.blocked.${detail.reason}`) : t('inbox.blocked.other', { reason: detail.reason })
    }
    if (o.message && te(`inbox.errors.${o.message}`)) return t(`inbox.errors.${o.message}`)
    return generic(e)
  }
}
