import { z } from 'zod'

export const SEGMENT_FIELD_TYPES = {
  city: 'text', postal_code: 'text', company_name: 'text', job_title: 'text', naf_code: 'text', source: 'text',
  kind: 'text', stage: 'text', label: 'text', email_consent: 'text',
  has_email: 'bool', has_phone: 'bool', do_not_contact: 'bool',
  score: 'num', fit: 'num', engagement: 'num', timing: 'num',
  last_activity_at: 'time', created_at: 'time',
  tags: 'tags', base: 'base',
} as const
export type SegmentField = keyof typeof SEGMENT_FIELD_TYPES
export const SEGMENT_OPS: Record<(typeof SEGMENT_FIELD_TYPES)[SegmentField], readonly string[]> = {
  text: ['eq', 'neq', 'contains', 'starts_with', 'is_empty', 'not_empty'],
  bool: ['is_true', 'is_false'],
  num: ['gte', 'lte', 'eq'],
  time: ['within_days', 'older_than_days'],
  tags: ['contains_any', 'contains_all', 'not_contains'],
  base: ['in', 'not_in'],
}
export const SEGMENT_NO_VALUE_OPS = new Set(['is_empty', 'not_empty', 'is_true', 'is_false'])

export const segmentFilterSchema = z.object({
  field: z.string(),
  op: z.string(),
  value: z.union([z.string(), z.number(), z.array(z.string())]).optional(),
})
export type SegmentFilter = z.infer<typeof segmentFilterSchema>

/** Checks one filter; returns the i18n key of the problem, or null. */
export function segmentFilterProblem(f: SegmentFilter): string | null {
  const type = SEGMENT_FIELD_TYPES[f.field as SegmentField] ?? (/^custom\.[A-Za-z0-9_]{1,60}$/.test(f.field) ? 'text' : undefined)
  if (!type) return 'bases.segments.errors.field'
  if (!SEGMENT_OPS[type].includes(f.op)) return 'bases.segments.errors.operator'
  if (SEGMENT_NO_VALUE_OPS.has(f.op)) return null
  if (type === 'tags' || type === 'base') return Array.isArray(f.value) && f.value.length > 0 ? null : 'bases.segments.errors.value'
  if (type === 'num') return typeof f.value === 'number' && f.value >= 0 && f.value <= 100 ? null : 'bases.segments.errors.score'
  if (type === 'time') return typeof f.value === 'number' && Number.isInteger(f.value) && f.value > 0 && f.value <= 3650 ? null : 'bases.segments.errors.days'
  return typeof f.value === 'string' && f.value.trim().length > 0 ? null : 'bases.segments.errors.value'
}

/** The filters as the database takes them (no value for value-less operators). */
export function segmentFiltersForDb(filters: SegmentFilter[]): SegmentFilter[] {
  return filters.map((f) => (SEGMENT_NO_VALUE_OPS.has(f.op) ? { field: f.field, op: f.op } : { field: f.field, op: f.op, value: typeof f.value === 'string' ? f.value.trim() : f.value }))
}

export const segmentSchema = z.object({
  id: z.string(), name: z.string(), description: z.string().nullable(), filters: z.array(segmentFilterSchema), created_at: z.string(), updated_at: z.string(),
})
export type Segment = z.infer<typeof segmentSchema>

export const segmentContactRowSchema = z.object({
  id: z.string(), kind: z.enum(['person', 'company']), first_name: z.string().nullable(), last_name: z.string().nullable(),
  company_name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(), city: z.string().nullable(),
  postal_code: z.string().nullable(), tags: z.array(z.string()), lifecycle_stage: z.string(), owner_id: z.string().nullable(),
  last_activity_at: z.string(), score: z.number().nullable(), label: z.enum(['hot', 'warm', 'cold']).nullable(),
})
export type SegmentContactRow = z.infer<typeof segmentContactRowSchema>
export type SegmentCursor = { last_activity_at: string; id: string } | { score: number; id: string }

export function segmentCursorOf(row: SegmentContactRow, order: 'recent' | 'score'): SegmentCursor {
  return order === 'recent' ? { last_activity_at: row.last_activity_at, id: row.id } : { score: row.score ?? -1, id: row.id }
}

/** Saved segments of the current tenant and live evaluation of filters. */
export function useSegments() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenant = () => {
    if (!session.currentTenantId) throw new Error('no_tenant')
    return session.currentTenantId
  }

  async function list(): Promise<Segment[]> {
    const { data, error } = await supabase.from('segments').select('id, name, description, filters, created_at, updated_at')
      .eq('tenant_id', tenant()).order('name')
    if (error) throw error
    return z.array(segmentSchema).parse(data ?? [])
  }

  async function save(s: { id?: string; name: string; description?: string | null; filters: SegmentFilter[] }): Promise<string> {
    const row = { tenant_id: tenant(), name: s.name.trim(), description: s.description?.trim() || null, filters: segmentFiltersForDb(s.filters) }
    const q = s.id
      ? supabase.from('segments').update(row).eq('tenant_id', tenant()).eq('id', s.id).select('id').single()
      : supabase.from('segments').insert(row).select('id').single()
    const { data, error } = await q
    if (error) throw error
    return data.id as string
  }

  async function remove(id: string): Promise<void> {
    const { error } = await supabase.from('segments').delete().eq('tenant_id', tenant()).eq('id', id)
    if (error) throw error
  }

  async function count(filters: SegmentFilter[]): Promise<number> {
    const { data, error } = await supabase.rpc('segment_count', { p_tenant_id: tenant(), p_filters: segmentFiltersForDb(filters) })
    if (error) throw error
    return Number(data ?? 0)
  }

  async function page(filters: SegmentFilter[], order: 'recent' | 'score' = 'recent', after: SegmentCursor | null = null, limit = 25): Promise<SegmentContactRow[]> {
    const { data, error } = await supabase.rpc('segment_contacts', { p_tenant_id: tenant(), p_filters: segmentFiltersForDb(filters), p_order: order, p_after: after, p_limit: limit })
    if (error) throw error
    return z.array(segmentContactRowSchema).parse(data ?? [])
  }

  return { list, save, remove, count, page }
}
