import { z } from 'zod'
import { download, toCsv, toXlsx } from '~/utils/import/export'

export interface ContactRow {
  id: string
  kind: 'person' | 'company'
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  company_name: string | null
  city: string | null
  postal_code: string | null
  tags: string[]
  owner_id: string | null
  lifecycle_stage: string
  do_not_contact: boolean
  last_activity_at: string
  created_at: string
}
export interface ContactFilters {
  q?: string
  tags?: string[]
  owner_id?: string
  kind?: 'person' | 'company'
  stage?: string
  city?: string
  has_email?: boolean
  has_phone?: boolean
  import_id?: string
}
/** What the caller may export (docs/import.md, "Export limits"): per export, per 24 hours, what is left. */
export const exportAllowanceSchema = z.object({
  role: z.string().nullable(),
  allowed: z.boolean(),
  max_rows_per_export: z.number(),
  max_rows_per_day: z.number().nullable(),
  remaining_today: z.number().nullable(),
})
export type ExportAllowance = z.infer<typeof exportAllowanceSchema>
export type SortKey = 'last_activity_at' | 'last_name' | 'created_at' | 'city'
export interface Cursor { value: string | null; id: string }

const LIST_COLUMNS = 'id, kind, first_name, last_name, email, phone, company_name, city, postal_code, tags, owner_id, lifecycle_stage, do_not_contact, last_activity_at, created_at'
export const PAGE_SIZE = 50

/**
 * The prospects list: filters, keyset pagination on (sort column, id), bulk
 * actions and the audited export. A text search goes through search_contacts
 * (trigram index, at most 200 hits) and is sorted there.
 */
export function useContactList() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function page(filters: ContactFilters, sort: { key: SortKey; dir: 'asc' | 'desc' }, after: Cursor | null): Promise<{ rows: ContactRow[]; next: Cursor | null }> {
    const tenantId = session.currentTenantId
    if (!tenantId) return { rows: [], next: null }
    const q = filters.q?.trim()
    let query = q && q.length >= 2
      ? supabase.rpc('search_contacts', { p_tenant_id: tenantId, p_query: q, p_limit: 200 }).select(LIST_COLUMNS)
      : supabase.from('contacts').select(LIST_COLUMNS).eq('tenant_id', tenantId).is('deleted_at', null)
    if (filters.tags?.length) query = query.contains('tags', filters.tags)
    if (filters.owner_id === 'none') query = query.is('owner_id', null)
    else if (filters.owner_id) query = query.eq('owner_id', filters.owner_id)
    if (filters.kind) query = query.eq('kind', filters.kind)
    if (filters.stage) query = query.eq('lifecycle_stage', filters.stage)
    if (filters.city?.trim()) {
      const c = filters.city.trim().replace(/[,()%*]/g, '')
      query = /^\d/.test(c) ? query.like('postal_code', `${c}%`) : query.ilike('city', `${c}%`)
    }
    if (filters.has_email !== undefined) query = filters.has_email ? query.not('email', 'is', null) : query.is('email', null)
    if (filters.has_phone !== undefined) query = filters.has_phone ? query.not('phone', 'is', null) : query.is('phone', null)
    if (filters.import_id) {
      const { data: ids } = await supabase.from('contact_import_rows').select('contact_id').eq('import_id', filters.import_id).in('status', ['created', 'updated']).limit(1000)
      query = query.in('id', (ids ?? []).map((r) => r.contact_id as string))
    }
    const asc = sort.dir === 'asc'
    if (after) {
      const op = asc ? 'gt' : 'lt'
      const v = after.value
      // nulls come last in both directions: after the last non-null value, the nulls follow
      query = v === null
        ? query.is(sort.key, null).filter('id', op, after.id)
        : query.or(`${sort.key}.${op}.${JSON.stringify(v)},and(${sort.key}.eq.${JSON.stringify(v)},id.${op}.${after.id}),${sort.key}.is.null`)
    }
    const { data, error } = await query.order(sort.key, { ascending: asc, nullsFirst: false }).order('id', { ascending: asc }).limit(PAGE_SIZE + 1)
    if (error) throw error
    const rows = (data ?? []) as unknown as ContactRow[]
    const more = rows.length > PAGE_SIZE
    const list = rows.slice(0, PAGE_SIZE)
    const last = list[list.length - 1]
    return { rows: list, next: more && last ? { value: (last as unknown as Record<string, string | null>)[sort.key] ?? null, id: last.id } : null }
  }

  async function bulk(ids: string[], action: 'tag' | 'untag' | 'assign' | 'delete' | 'restore', value: string | null = null): Promise<number> {
    const { data, error } = await supabase.rpc('contacts_bulk_action', { p_tenant_id: session.currentTenantId, p_ids: ids, p_action: action, p_value: value })
    if (error) throw error
    return data as number
  }

  async function matchingIds(filters: ContactFilters): Promise<string[]> {
    const { data, error } = await supabase.rpc('contacts_matching_ids', { p_tenant_id: session.currentTenantId, p_filters: filters })
    if (error) throw error
    return (data ?? []) as string[]
  }

  async function tagSuggestions(): Promise<string[]> {
    const { data } = await supabase.from('contacts').select('tags').eq('tenant_id', session.currentTenantId!).is('deleted_at', null).not('tags', 'eq', '{}').limit(500)
    return [...new Set((data ?? []).flatMap((r) => r.tags as string[]))].sort((a, b) => a.localeCompare(b, 'fr'))
  }

  /** Export (agents and above; every exported contact is written to the audit trail). */
  async function exportList(filters: ContactFilters, ids: string[] | null, format: 'csv' | 'xlsx', headers: Record<string, string>): Promise<number> {
    const { data, error } = await supabase.rpc('export_contacts', { p_tenant_id: session.currentTenantId, p_filters: filters, p_ids: ids, p_format: format })
    if (error) throw error
    const rows = (data ?? []) as Record<string, unknown>[]
    const keys = Object.keys(headers)
    const body = rows.map((r) => keys.map((k) => r[k]))
    const stamp = new Date().toISOString().slice(0, 10)
    if (format === 'csv') download(new Blob([toCsv(Object.values(headers), body)], { type: 'text/csv;charset=utf-8' }), `prospects-${stamp}.csv`)
    else download(await toXlsx('Prospects', Object.values(headers), body), `prospects-${stamp}.xlsx`)
    return rows.length
  }

  async function exportAllowance(): Promise<ExportAllowance> {
    const { data, error } = await supabase.rpc('export_allowance', { p_tenant_id: session.currentTenantId })
    if (error) throw error
    return exportAllowanceSchema.parse(data)
  }

  return { page, bulk, matchingIds, tagSuggestions, exportList, exportAllowance }
}
