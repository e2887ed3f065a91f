import { z } from 'zod'

export const baseSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  source: z.string().nullable(),
  owner_id: z.string().nullable(),
  created_at: z.string(),
  members: z.coerce.number(),
  generation_id: z.string().nullable(),
  generation_status: z.string().nullable(),
  unlocked: z.coerce.number(),
  locked: z.coerce.number(),
  unlock_order: z.enum(['proximity', 'score']).nullable(),
})
export type BaseSummary = z.infer<typeof baseSummarySchema>

export const generationAreaSchema = z.object({
  communes: z.array(z.string().regex(/^([0-9][0-9AB]|2[AB])[0-9]{3}$/)),
  postal_codes: z.array(z.string().regex(/^[0-9]{5}$/)),
  departements: z.array(z.string().regex(/^([0-9]{2}|2[AB]|97[0-9])$/)),
})
export type GenerationArea = z.infer<typeof generationAreaSchema>

export const generationRequestSchema = z.object({
  name: z.string().trim().min(1, 'name_required').max(200),
  naf: z.array(z.string().regex(/^[0-9]{2}\.[0-9]{2}[A-Z]$/)).min(1, 'naf_required').max(20, 'naf_too_many'),
  area: generationAreaSchema.refine((a) => a.communes.length + a.postal_codes.length + a.departements.length > 0, { message: 'area_required' }),
  order: z.enum(['proximity', 'score']),
})
export type GenerationRequest = z.infer<typeof generationRequestSchema>

export const generationPreviewSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'fetching', 'ready', 'confirmed', 'failed']),
  total: z.number().nullable(),
  excluded: z.number(),
  cache_hit: z.boolean().nullable(),
  unlock_order: z.enum(['proximity', 'score']),
  error: z.string().nullable(),
  credits: z.object({ monthly: z.number(), used: z.number(), remaining: z.number(), renews_on: z.string() }),
  would_unlock: z.number(),
  sample: z.array(z.object({
    rank: z.number(), name: z.string(), naf: z.string(), address: z.string().nullable(), postal_code: z.string().nullable(),
    city: z.string().nullable(), phone: z.string(), email: z.string(), website: z.string(), fit_score: z.number(),
  })),
})
export type GenerationPreview = z.infer<typeof generationPreviewSchema>

export const generationCreditsSchema = z.object({
  monthly: z.number(), used: z.number(), remaining: z.number(), renews_on: z.string(), locked: z.number(),
  generations_per_hour: z.number(), monthly_export_rows: z.number(), monthly_enrichments: z.number(),
})
export type GenerationCredits = z.infer<typeof generationCreditsSchema>

/** "75008" → Paris 8e style postal codes and department numbers typed by the user, validated. */
export function parseAreaCodes(input: string): { postal_codes: string[]; departements: string[]; invalid: string[] } {
  const out = { postal_codes: [] as string[], departements: [] as string[], invalid: [] as string[] }
  for (const raw of input.split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean)) {
    if (/^[0-9]{5}$/.test(raw)) out.postal_codes.push(raw)
    else if (/^([0-9]{2}|2[AB]|97[0-9])$/.test(raw)) out.departements.push(raw)
    else out.invalid.push(raw)
  }
  out.postal_codes = [...new Set(out.postal_codes)]
  out.departements = [...new Set(out.departements)]
  return out
}

export type BaseBulkAction = 'add_tag' | 'remove_tag' | 'assign_owner' | 'add_to_base' | 'remove_from_base'

/** A sequence a selection can be enrolled in: running, or paused (enrolments wait for it). */
export const enrolableSequenceSchema = z.object({ id: z.string(), name: z.string(), status: z.enum(['active', 'paused']) })
export type EnrolableSequence = z.infer<typeof enrolableSequenceSchema>

/** Prospect bases of the current tenant: list, generation by sector + area, bulk actions. */
export function useBases() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenant = () => {
    if (!session.currentTenantId) throw new Error('no_tenant')
    return session.currentTenantId
  }

  async function list(): Promise<BaseSummary[]> {
    const { data, error } = await supabase.rpc('base_summaries', { p_tenant_id: tenant() })
    if (error) throw error
    return z.array(baseSummarySchema).parse(data ?? [])
  }

  async function get(id: string): Promise<BaseSummary | null> {
    return (await list()).find((b) => b.id === id) ?? null
  }

  async function credits(): Promise<GenerationCredits> {
    const { data, error } = await supabase.rpc('generation_credits', { p_tenant_id: tenant() })
    if (error) throw error
    return generationCreditsSchema.parse(data)
  }

  /** Starts a generation, then asks the worker to process it now; returns its id. */
  async function requestGeneration(req: GenerationRequest): Promise<string> {
    const r = generationRequestSchema.parse(req)
    const { data, error } = await supabase.rpc('request_base_generation', {
      p_tenant_id: tenant(), p_name: r.name, p_naf_codes: r.naf, p_area: r.area, p_unlock_order: r.order,
    })
    if (error) throw error
    const g = z.object({ id: z.string(), status: z.string() }).parse(Array.isArray(data) ? data[0] : data)
    if (g.status === 'queued' || g.status === 'fetching') {
      const { error: fnError } = await supabase.functions.invoke('generate-base', { body: { generationId: g.id } })
      if (fnError) throw fnError
    }
    return g.id
  }

  async function preview(generationId: string): Promise<GenerationPreview> {
    const { data, error } = await supabase.rpc('base_generation_preview', { p_generation_id: generationId, p_sample: 10 })
    if (error) throw error
    return generationPreviewSchema.parse(data)
  }

  async function confirm(generationId: string, name: string): Promise<{ prospect_base_id: string; unlocked: number; locked: number }> {
    const { data, error } = await supabase.rpc('confirm_base_generation', { p_generation_id: generationId, p_base_name: name.trim() })
    if (error) throw error
    return z.object({ prospect_base_id: z.string(), unlocked: z.number(), locked: z.number() }).parse(data)
  }

  async function create(name: string, description?: string): Promise<string> {
    const { data, error } = await supabase.from('prospect_bases')
      .insert({ tenant_id: tenant(), name: name.trim(), description: description?.trim() || null, source: 'manual' })
      .select('id').single()
    if (error) throw error
    return data.id as string
  }

  async function remove(id: string): Promise<void> {
    const { error } = await supabase.from('prospect_bases').delete().eq('tenant_id', tenant()).eq('id', id)
    if (error) throw error
  }

  async function bulk(action: BaseBulkAction, contactIds: string[], value: string | null): Promise<number> {
    const { data, error } = await supabase.rpc('bulk_contacts_action', { p_tenant_id: tenant(), p_contact_ids: contactIds, p_action: action, p_value: value })
    if (error) throw error
    return Number(data ?? 0)
  }

  /** Sequences to enrol a selection in (a draft enrols its base itself when launched). */
  async function enrolableSequences(): Promise<EnrolableSequence[]> {
    const { data, error } = await supabase.from('sequences').select('id, name, status')
      .eq('tenant_id', tenant()).in('status', ['active', 'paused']).order('name')
    if (error) throw error
    return z.array(enrolableSequenceSchema).parse(data ?? [])
  }

  /** Enrols contacts in a sequence at its current version (agents and above); returns how many were newly enrolled. */
  async function enrol(sequenceId: string, contactIds: string[]): Promise<number> {
    const { data, error } = await supabase.rpc('enrol_contacts', { p_sequence_id: z.string().uuid().parse(sequenceId), p_contact_ids: contactIds })
    if (error) throw error
    return Number(data ?? 0)
  }

  /** Soft delete, the prospects list's RPC (history kept); `restoreContacts` is its undo. */
  async function deleteContacts(contactIds: string[]): Promise<number> {
    const { data, error } = await supabase.rpc('contacts_bulk_action', { p_tenant_id: tenant(), p_ids: contactIds, p_action: 'delete', p_value: null })
    if (error) throw error
    return Number(data ?? 0)
  }

  async function restoreContacts(contactIds: string[]): Promise<number> {
    const { data, error } = await supabase.rpc('contacts_bulk_action', { p_tenant_id: tenant(), p_ids: contactIds, p_action: 'restore', p_value: null })
    if (error) throw error
    return Number(data ?? 0)
  }

  return { list, get, credits, requestGeneration, preview, confirm, create, remove, bulk, enrolableSequences, enrol, deleteContacts, restoreContacts }
}
