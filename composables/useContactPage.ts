import { normalizePhone } from '~/utils/import/normalize'

export interface ContactDetail {
  id: string
  tenant_id: string
  kind: 'person' | 'company'
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  company_name: string | null
  job_title: string | null
  siret: string | null
  naf_code: string | null
  address_line: string | null
  postal_code: string | null
  city: string | null
  source: string | null
  tags: string[]
  owner_id: string | null
  custom_fields: Record<string, unknown>
  lifecycle_stage: string
  email_consent: 'unknown' | 'opt_in' | 'opt_out'
  email_consent_at: string | null
  sms_consent: 'unknown' | 'opt_in' | 'opt_out'
  sms_consent_at: string | null
  whatsapp_consent: 'unknown' | 'opt_in' | 'opt_out'
  whatsapp_consent_at: string | null
  phone_consent: 'unknown' | 'opt_in' | 'opt_out'
  phone_consent_at: string | null
  do_not_contact: boolean
  deleted_at: string | null
  created_at: string
  updated_at: string
}
export type TimelineKind = 'activity' | 'event' | 'message' | 'deal' | 'merge' | 'import'
export interface TimelineItem { key: string; kind: TimelineKind; at: string; type: string; title: string | null; body: string | null; link?: string }

export const EDITABLE_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'company_name', 'job_title', 'siret', 'address_line', 'postal_code', 'city'] as const
export type EditableField = (typeof EDITABLE_FIELDS)[number]

/**
 * One contact: identity and consents, edits, the timeline (activities, domain
 * events, messages, deals, merges, imports) followed in Realtime, and merge.
 */
export function useContactPage() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function get(id: string): Promise<ContactDetail | null> {
    const { data, error } = await supabase.from('contacts').select('*').eq('id', id).maybeSingle()
    if (error) throw error
    return data as ContactDetail | null
  }

  async function recordRead(id: string) {
    await supabase.rpc('record_contact_access', { p_tenant_id: session.currentTenantId, p_contact_ids: [id], p_action: 'read', p_purpose: 'contact page' })
  }

  /** Saves edits; a phone typed the French way (06 12 34 56 78) is stored in E.164 like an import's. */
  async function update(id: string, patch: Partial<Record<EditableField, string | null>>) {
    if (patch.phone) {
      const p = normalizePhone(patch.phone)
      if (p === false) throw { message: 'invalid_phone' }
      patch = { ...patch, phone: p }
    }
    if (patch.email) patch = { ...patch, email: patch.email.trim().toLowerCase() }
    const { error } = await supabase.from('contacts').update(patch).eq('id', id)
    if (error) throw error
  }

  async function timeline(id: string): Promise<TimelineItem[]> {
    const tenantId = session.currentTenantId!
    const [acts, events, sends, deals, merges, imports] = await Promise.all([
      supabase.from('activities').select('id, kind, subject, body, occurred_at, due_date, done_at').eq('tenant_id', tenantId).eq('contact_id', id).order('occurred_at', { ascending: false }).limit(100),
      supabase.from('events').select('id, type, payload, occurred_at').eq('tenant_id', tenantId).eq('subject_type', 'contact').eq('subject_id', id).order('occurred_at', { ascending: false }).limit(100),
      supabase.from('message_sends').select('id, channel, status, subject, created_at').eq('tenant_id', tenantId).eq('contact_id', id).order('created_at', { ascending: false }).limit(100),
      supabase.from('deals').select('id, title, value, created_at').eq('tenant_id', tenantId).eq('contact_id', id).order('created_at', { ascending: false }).limit(50),
      supabase.from('contact_merges').select('id, merged_snapshot, merged_at').eq('tenant_id', tenantId).eq('kept_contact_id', id).order('merged_at', { ascending: false }).limit(20),
      supabase.from('contact_import_rows').select('import_id, status').eq('tenant_id', tenantId).eq('contact_id', id).in('status', ['created', 'updated']).limit(20),
    ])
    const importIds = [...new Set((imports.data ?? []).map((r) => r.import_id as string))]
    const files = importIds.length
      ? (await supabase.from('contact_imports').select('id, file_name, created_at').in('id', importIds)).data ?? []
      : []
    const items: TimelineItem[] = []
    for (const a of acts.data ?? []) items.push({ key: `a${a.id}`, kind: 'activity', at: a.occurred_at, type: a.kind, title: a.subject, body: a.body })
    for (const e of events.data ?? []) items.push({ key: `e${e.id}`, kind: 'event', at: e.occurred_at, type: e.type, title: null, body: null })
    for (const s of sends.data ?? []) items.push({ key: `m${s.id}`, kind: 'message', at: s.created_at, type: `${s.channel}:${s.status}`, title: s.subject ?? null, body: null })
    for (const d of deals.data ?? []) items.push({ key: `d${d.id}`, kind: 'deal', at: d.created_at, type: 'deal', title: d.title, body: null })
    for (const m of merges.data ?? []) {
      const s = m.merged_snapshot as Record<string, string | null>
      items.push({ key: `g${m.id}`, kind: 'merge', at: m.merged_at, type: 'merge', title: [s.first_name, s.last_name].filter(Boolean).join(' ') || s.company_name || s.email || null, body: null })
    }
    for (const r of imports.data ?? []) {
      const imp = files.find((f) => f.id === r.import_id)
      if (imp) items.push({ key: `i${r.import_id}`, kind: 'import', at: imp.created_at, type: r.status as string, title: imp.file_name, body: null, link: `/prospects/imports?import=${r.import_id}` })
    }
    return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  }

  /** Realtime: any change to this contact's activities, events, messages or deals reloads the timeline. */
  function follow(id: string, onChange: () => void, onLive: (live: boolean) => void = () => {}) {
    const tenantId = session.currentTenantId
    const channel = supabase.channel(`contact:${id}`)
    for (const table of ['activities', 'message_sends', 'deals']) {
      channel.on('postgres_changes', { event: '*', schema: 'public', table, filter: `contact_id=eq.${id}` }, onChange)
    }
    channel.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'events', filter: `tenant_id=eq.${tenantId}` },
      (p) => { if ((p.new as { subject_id?: string }).subject_id === id) onChange() })
    channel.subscribe((status) => onLive(status === 'SUBSCRIBED'))
    return () => { void supabase.removeChannel(channel) }
  }

  async function addNote(id: string, body: string) {
    const { error } = await supabase.from('activities').insert({ tenant_id: session.currentTenantId, kind: 'note', contact_id: id, body })
    if (error) throw error
  }

  async function merge(keepId: string, mergeId: string, fromMerged: string[]): Promise<void> {
    const { error } = await supabase.rpc('merge_contacts', { p_keep_id: keepId, p_merge_id: mergeId, p_fields: Object.fromEntries(fromMerged.map((f) => [f, 'merged'])) })
    if (error) throw error
  }

  return { get, recordRead, update, timeline, follow, addNote, merge }
}
