/**
 * Message templates: the platform library (read-only, shipped by migration)
 * and the agency's own templates (duplicated from the library, editable),
 * their variables, a live preview with a sample contact, and per-template
 * performance read from the message ledger (template_performance view).
 */
export type Channel = 'email' | 'sms' | 'whatsapp'
export const CHANNELS: Channel[] = ['email', 'sms', 'whatsapp']
export const CATEGORIES = ['owner_prospecting', 'valuation', 'commercial', 'follow_up', 'event', 'market_update', 'reactivation'] as const
export type Category = (typeof CATEGORIES)[number]

/** The placeholders a template may use — the same list as private.template_variables() and _shared/ai/render.ts. */
export const TEMPLATE_VARIABLES = [
  'firstName', 'lastName', 'fullName', 'civility', 'companyName', 'jobTitle', 'city', 'postalCode',
  'agencyName', 'agentName', 'agentPhone', 'agencyCity', 'agencyPhone', 'marketFact', 'objective',
] as const
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number]

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** Placeholders used by a text, those that are unknown, and whether braces are left unclosed. */
export function templateVariables(text: string): { used: string[]; unknown: string[]; malformed: boolean } {
  const used = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))]
  const unknown = used.filter((v) => !(TEMPLATE_VARIABLES as readonly string[]).includes(v))
  const malformed = /\{\{[^}]*$|\{\{[^}]*\{\{/.test(text)
  return { used, unknown, malformed }
}

/** Fills {{variables}}; unknown or empty ones disappear and the spaces they leave are tidied (as the server renderer does). */
export function renderTemplate(text: string, vars: Partial<Record<string, string>>): string {
  return text
    .replace(PLACEHOLDER, (_, name: string) => vars[name] ?? '')
    .replace(/[ \t]+([,.;:!?])/g, (_, p: string) => (p === ',' || p === '.' ? p : ` ${p}`))
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]+|[ \t]+$/gm, '')
    .replace(/(^|\n)[,.;:]\s*/g, '$1')
    .trim()
}

export interface SampleContact {
  kind: 'person' | 'company'
  first_name: string
  last_name: string
  company_name: string
  job_title: string
  city: string
  postal_code: string
}

/** Sample contacts for previews (clearly fictional). */
export const SAMPLE_CONTACTS: SampleContact[] = [
  { kind: 'person', first_name: 'Claire', last_name: 'Moreau', company_name: '', job_title: '', city: 'Lyon', postal_code: '69006' },
  { kind: 'company', first_name: 'Julien', last_name: 'Garnier', company_name: 'Boulangerie Garnier', job_title: 'gérant', city: 'Nantes', postal_code: '44000' },
  { kind: 'person', first_name: 'Hélène', last_name: 'Dubois', company_name: '', job_title: '', city: 'Bordeaux', postal_code: '33000' },
]

export interface AgencyVars { agencyName: string; agencyCity?: string; agentName?: string; agentPhone?: string; marketFact?: string }

export function sampleVariables(c: SampleContact, agency: AgencyVars): Record<TemplateVariable, string> {
  return {
    firstName: c.first_name, lastName: c.last_name, fullName: [c.first_name, c.last_name].filter(Boolean).join(' '), civility: '',
    companyName: c.company_name, jobTitle: c.job_title, city: c.city, postalCode: c.postal_code,
    agencyName: agency.agencyName, agentName: agency.agentName ?? '', agentPhone: agency.agentPhone ?? '', agencyCity: agency.agencyCity ?? '',
    agencyPhone: agency.agentPhone ?? '', marketFact: agency.marketFact ?? '', objective: '',
  }
}

export interface LibraryTemplate {
  key: string
  channel: Channel
  language: string
  name: string
  category: Category
  target_segment: string
  description: string
  subject: string | null
  body: string
  variables: string[]
  position: number
}

export interface TenantTemplate {
  id: string
  tenant_id: string
  channel: Channel
  language: string
  name: string
  category: string | null
  target_segment: string | null
  subject: string | null
  body: string
  variables: string[]
  source_key: string | null
  updated_at: string
}

export interface TemplatePerformance { template_id: string; source_key: string | null; sent: number; opened: number; replied: number; converted: number }

/** Rates of one template, or null when nothing was sent yet. */
export function performanceRates(p: TemplatePerformance | undefined) {
  if (!p || p.sent <= 0) return null
  const r = (n: number) => n / p.sent
  return { sent: p.sent, open: r(p.opened), reply: r(p.replied), conversion: r(p.converted) }
}

export class TemplateValidationError extends Error {
  constructor(readonly code: 'unknown_variable' | 'malformed_placeholder' | 'name_required' | 'body_required' | 'subject_required', readonly variables: string[] = []) {
    super(code)
    this.name = 'TemplateValidationError'
  }
}

/** Checks a template before saving; throws TemplateValidationError naming the unknown variables. */
export function validateTemplate(t: { name: string; channel: Channel; subject: string | null; body: string }) {
  if (!t.name.trim()) throw new TemplateValidationError('name_required')
  if (t.channel === 'email' && !(t.subject ?? '').trim()) throw new TemplateValidationError('subject_required')
  if (!t.body.trim()) throw new TemplateValidationError('body_required')
  const v = templateVariables(`${t.subject ?? ''} ${t.body}`)
  if (v.unknown.length) throw new TemplateValidationError('unknown_variable', v.unknown)
  if (v.malformed) throw new TemplateValidationError('malformed_placeholder')
}

const TEMPLATE_COLUMNS = 'id, tenant_id, channel, language, name, category, target_segment, subject, body, variables, source_key, updated_at'

export function useTemplates() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenantId = () => {
    if (!session.currentTenantId) throw new Error('no tenant')
    return session.currentTenantId
  }

  async function library(): Promise<LibraryTemplate[]> {
    const { data, error } = await supabase.from('template_library')
      .select('key, channel, language, name, category, target_segment, description, subject, body, variables, position')
      .order('position')
    if (error) throw error
    return (data ?? []) as LibraryTemplate[]
  }

  async function mine(): Promise<TenantTemplate[]> {
    const { data, error } = await supabase.from('message_templates').select(TEMPLATE_COLUMNS).eq('tenant_id', tenantId()).order('updated_at', { ascending: false })
    if (error) throw error
    return (data ?? []) as TenantTemplate[]
  }

  async function get(id: string): Promise<TenantTemplate | null> {
    const { data, error } = await supabase.from('message_templates').select(TEMPLATE_COLUMNS).eq('tenant_id', tenantId()).eq('id', id).maybeSingle()
    if (error) throw error
    return data as TenantTemplate | null
  }

  async function performance(): Promise<TemplatePerformance[]> {
    const { data, error } = await supabase.from('template_performance').select('template_id, source_key, sent, opened, replied, converted').eq('tenant_id', tenantId())
    if (error) throw error
    return (data ?? []).map((r) => ({ ...r, sent: Number(r.sent), opened: Number(r.opened), replied: Number(r.replied), converted: Number(r.converted) })) as TemplatePerformance[]
  }

  /** Copies a library template into the agency; a name already taken gets " (2)", " (3)"… */
  async function duplicate(src: LibraryTemplate | TenantTemplate, copySuffix: string): Promise<TenantTemplate> {
    const base = 'key' in src ? src.name : `${src.name} ${copySuffix}`
    for (let i = 1; i <= 20; i++) {
      const name = i === 1 ? base : `${base} (${i})`
      const { data, error } = await supabase.from('message_templates').insert({
        tenant_id: tenantId(), channel: src.channel, language: src.language, name, category: src.category, target_segment: src.target_segment,
        subject: src.subject, body: src.body, source_key: 'key' in src ? src.key : src.source_key,
      }).select(TEMPLATE_COLUMNS).single()
      if (!error) return data as TenantTemplate
      if (error.code !== '23505') throw error
    }
    throw new Error('duplicate name')
  }

  /** Validates (client side, then the database's own list) and saves. */
  async function save(id: string, patch: { name: string; channel: Channel; subject: string | null; body: string; category?: string | null }) {
    validateTemplate(patch)
    const { data: unknown, error: e1 } = await supabase.rpc('template_unknown_variables', { p_subject: patch.subject, p_body: patch.body })
    if (e1) throw e1
    if (Array.isArray(unknown) && unknown.length) throw new TemplateValidationError('unknown_variable', unknown as string[])
    const { data, error } = await supabase.from('message_templates')
      .update({ name: patch.name.trim(), subject: patch.channel === 'email' ? patch.subject : null, body: patch.body, category: patch.category ?? undefined })
      .eq('tenant_id', tenantId()).eq('id', id).select(TEMPLATE_COLUMNS).single()
    if (error) throw error
    return data as TenantTemplate
  }

  async function remove(id: string) {
    const { error } = await supabase.from('message_templates').delete().eq('tenant_id', tenantId()).eq('id', id)
    if (error) throw error
  }

  return { library, mine, get, performance, duplicate, save, remove }
}
