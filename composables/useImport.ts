import type { Mapping } from '~/utils/import/fields'
import type { BatchRow, Sniffed, Tally } from '~/utils/import/engine'
import type { RowIssue } from '~/utils/import/normalize'
import { toCsv } from '~/utils/import/export'

export type ImportPolicy = 'skip' | 'fill_empty' | 'overwrite'
export interface ImportRecord {
  id: string
  file_name: string
  file_size: number | null
  file_format: 'csv' | 'xlsx'
  status: 'running' | 'completed' | 'failed' | 'undone'
  policy: ImportPolicy
  total_rows: number | null
  processed_rows: number
  created_count: number
  updated_count: number
  unchanged_count: number
  duplicate_count: number
  rejected_count: number
  error: string | null
  mapping: { headers?: string[]; fields?: Mapping }
  created_by: string | null
  created_at: string
  finished_at: string | null
  undone_at: string | null
}
export interface BatchCounts { rows: number; created: number; updated: number; unchanged: number; duplicates: number; rejected: number; replayed?: boolean }
export interface Validation { tally: Tally; preview: BatchRow[]; rejects: BatchRow[]; warnings: { n: number; warnings: RowIssue[] }[] }
export interface Preset { id: string; name: string; mapping: Mapping }
export interface ImportFailure { code: string; detail: Record<string, string | number> }

type WorkerOut =
  | { type: 'sniffed'; sniffed: Sniffed }
  | { type: 'progress'; records: number }
  | { type: 'validated'; tally: Tally; preview: BatchRow[]; rejects: BatchRow[]; warnings: { n: number; warnings: RowIssue[] }[] }
  | { type: 'batch'; batchNo: number; rows: BatchRow[]; tally: Tally }
  | { type: 'done'; tally: Tally }
  | { type: 'fatal'; code: string; detail: Record<string, string | number> }

const IMPORT_COLUMNS = 'id, file_name, file_size, file_format, status, policy, total_rows, processed_rows, created_count, updated_count, unchanged_count, duplicate_count, rejected_count, error, mapping, created_by, created_at, finished_at, undone_at'

/**
 * Imports of the current tenant: the worker (sniff, validate, run with one batch
 * in flight), the RPCs (start, apply batch, finish, undo), history, presets,
 * rejects as CSV and possible duplicates.
 */
export function useImport() {
  const supabase = useSupabase()
  const session = useSessionStore()
  let worker: Worker | null = null

  function getWorker(): Worker {
    worker ??= new Worker(new URL('../app/workers/import.worker.ts', import.meta.url), { type: 'module' })
    return worker
  }
  function dispose() {
    worker?.terminate()
    worker = null
  }

  function ask<T>(message: object, until: (m: WorkerOut) => T | undefined, onProgress?: (m: WorkerOut) => void): Promise<T> {
    const w = getWorker()
    return new Promise<T>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<WorkerOut>) => {
        const m = e.data
        if (m.type === 'fatal') return reject({ code: m.code, detail: m.detail } satisfies ImportFailure)
        const r = until(m)
        if (r !== undefined) resolve(r)
        else onProgress?.(m)
      }
      w.onerror = (e) => reject({ code: 'unreadable', detail: { message: e.message } } satisfies ImportFailure)
      w.postMessage(message)
    })
  }

  const sniff = (file: File, unnamed: string) =>
    ask<Sniffed>({ type: 'sniff', file, unnamed }, (m) => (m.type === 'sniffed' ? m.sniffed : undefined))

  const validate = (file: File, sniffed: Sniffed, mapping: Mapping, onProgress?: (records: number) => void) =>
    ask<Validation>({ type: 'validate', file, sniffed: toRaw(sniffed), mapping: { ...mapping } },
      (m) => (m.type === 'validated' ? { tally: m.tally, preview: m.preview, rejects: m.rejects, warnings: m.warnings } : undefined),
      (m) => { if (m.type === 'progress') onProgress?.(m.records) })

  /**
   * Runs the import: the worker reads on while the previous batch is applied.
   * A failed batch stops the run (nothing of it is written); the import is marked
   * failed, what was applied before stays and can be undone.
   */
  async function run(file: File, sniffed: Sniffed, mapping: Mapping, policy: ImportPolicy, expectedRows: number,
    onBatch: (done: BatchCounts, processed: number) => void): Promise<ImportRecord> {
    const tenantId = session.currentTenantId
    if (!tenantId) throw new Error('no_tenant')
    const { data: importId, error } = await supabase.rpc('import_start', {
      p_tenant_id: tenantId, p_file_name: file.name, p_file_size: file.size, p_file_format: sniffed.kind,
      p_encoding: sniffed.encoding, p_delimiter: sniffed.delimiter, p_mapping: { headers: sniffed.headers, fields: mapping },
      p_policy: policy, p_total_rows: expectedRows,
    })
    if (error) throw error
    const totals: BatchCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, duplicates: 0, rejected: 0 }
    const w = getWorker()
    try {
      await new Promise<void>((resolve, reject) => {
        w.onmessage = async (e: MessageEvent<WorkerOut>) => {
          const m = e.data
          if (m.type === 'fatal') return reject({ code: m.code, detail: m.detail } satisfies ImportFailure)
          if (m.type === 'done') return resolve()
          if (m.type !== 'batch') return
          const payload = m.rows
          let lastError: unknown
          for (let attempt = 0; attempt < 3; attempt++) {
            const { data, error: e2 } = await supabase.rpc('import_apply_batch', { p_import_id: importId, p_batch_no: m.batchNo, p_rows: payload })
            if (!e2) {
              const c = data as BatchCounts
              for (const k of ['rows', 'created', 'updated', 'unchanged', 'duplicates', 'rejected'] as const) totals[k] += c[k] ?? 0
              onBatch({ ...totals }, totals.rows)
              w.postMessage({ type: 'ack', batchNo: m.batchNo })
              return
            }
            lastError = e2
            // A lost answer is retried (the replay returns the first call's counts), and so is a
            // statement timeout on a busy database (the batch is atomic: nothing of it was written).
            if (!/fetch|network|timeout/i.test(String((e2 as { message?: string }).message)) && (e2 as { code?: string }).code !== '57014') break
          }
          w.postMessage({ type: 'abort' })
          reject(lastError)
        }
        w.onerror = (e) => reject({ code: 'unreadable', detail: { message: e.message } })
        w.postMessage({ type: 'run', file, sniffed: toRaw(sniffed), mapping: { ...mapping } })
      })
    } catch (e) {
      const code = (e as ImportFailure).code ?? (e as { message?: string }).message ?? 'error'
      await supabase.rpc('import_fail', { p_import_id: importId, p_error: String(code) })
      throw e
    }
    const { data: finished, error: e3 } = await supabase.rpc('import_finish', { p_import_id: importId })
    if (e3) throw e3
    return finished as ImportRecord
  }

  async function history(limit = 50): Promise<ImportRecord[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    const { data, error } = await supabase.from('contact_imports').select(IMPORT_COLUMNS)
      .eq('tenant_id', tenantId).order('created_at', { ascending: false }).limit(limit)
    if (error) throw error
    return (data ?? []) as ImportRecord[]
  }

  async function get(id: string): Promise<ImportRecord | null> {
    const { data, error } = await supabase.from('contact_imports').select(IMPORT_COLUMNS).eq('id', id).maybeSingle()
    if (error) throw error
    return data as ImportRecord | null
  }

  async function undo(id: string): Promise<{ deleted: number; restored: number }> {
    const { data, error } = await supabase.rpc('import_undo', { p_import_id: id })
    if (error) throw error
    return data as { deleted: number; restored: number }
  }

  /** Rejected rows with their original values, page by page (1,000 a request). */
  async function rejectedRows(id: string): Promise<{ row_number: number; field: string | null; reason: string; raw: string[] | null }[]> {
    const out: { row_number: number; field: string | null; reason: string; raw: string[] | null }[] = []
    for (let from = 0; ; from += 1000) {
      const { data, error } = await supabase.from('contact_import_rows').select('row_number, field, reason, raw')
        .eq('import_id', id).eq('status', 'rejected').order('row_number').range(from, from + 999)
      if (error) throw error
      out.push(...((data ?? []) as typeof out))
      if (!data || data.length < 1000) return out
    }
  }

  /** The CSV of rejects: the original columns, then the line and the reason in words. */
  async function rejectsCsv(imp: ImportRecord, reasonText: (r: { field: string | null; reason: string }) => string, labels: { line: string; reason: string }): Promise<Blob> {
    const rows = await rejectedRows(imp.id)
    const headers = imp.mapping.headers ?? []
    const width = Math.max(headers.length, ...rows.map((r) => r.raw?.length ?? 0))
    const head = [...headers, ...Array.from({ length: width - headers.length }, (_, i) => `#${headers.length + i + 1}`), labels.line, labels.reason]
    const body = rows.map((r) => [...Array.from({ length: width }, (_, i) => r.raw?.[i] ?? ''), r.row_number, reasonText(r)])
    return new Blob([toCsv(head, body)], { type: 'text/csv;charset=utf-8' })
  }

  async function possibleDuplicates(id: string) {
    const { data, error } = await supabase.rpc('import_possible_duplicates', { p_import_id: id, p_limit: 50 })
    if (error) throw error
    return (data ?? []) as { row_number: number; contact_id: string; candidate_id: string; similarity: number }[]
  }

  async function presets(): Promise<Preset[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    const { data, error } = await supabase.from('import_mapping_presets').select('id, name, mapping').eq('tenant_id', tenantId).order('name')
    if (error) throw error
    return (data ?? []) as Preset[]
  }

  async function savePreset(name: string, mapping: Mapping): Promise<void> {
    const tenantId = session.currentTenantId
    const existing = (await presets()).find((p) => p.name.toLowerCase() === name.trim().toLowerCase())
    const { error } = existing
      ? await supabase.from('import_mapping_presets').update({ mapping }).eq('id', existing.id)
      : await supabase.from('import_mapping_presets').insert({ tenant_id: tenantId, name: name.trim(), mapping })
    if (error) throw error
  }

  /** Follows one import's progress (other tabs, or a run started elsewhere). */
  function watch(id: string, onChange: (r: ImportRecord) => void) {
    const channel = supabase.channel(`import:${id}`)
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'contact_imports', filter: `id=eq.${id}` },
        (p) => onChange(p.new as ImportRecord))
      .subscribe()
    return () => { void supabase.removeChannel(channel) }
  }

  return { sniff, validate, run, history, get, undo, rejectsCsv, possibleDuplicates, presets, savePreset, watch, dispose }
}
