/// <reference lib="webworker" />
/**
 * The import worker: reads the file in slices (≤ 8 MB), decodes, parses,
 * normalises and validates off the main thread. In "run" mode it hands one
 * batch at a time to the page (which calls import_apply_batch) and waits for
 * the acknowledgement before reading further: memory stays flat whatever the
 * file size, and a failed batch stops the run with nothing half-written.
 */
import { cityKey, type Communes } from '../utils/import/normalize'
import {
  BATCH_ROWS, blobChunks, checkSize, createPipeline, csvRecords, fromRows, ImportFatal, sniffCsv, SNIFF_BYTES,
  type BatchRow, type Sniffed,
} from '../utils/import/engine'
import type { Mapping } from '../utils/import/fields'
import { sniffKind } from '../utils/import/encoding'
import { readXlsx } from '../utils/import/xlsx'

export type WorkerIn =
  | { type: 'sniff'; file: File; unnamed: string }
  | { type: 'validate'; file: File; sniffed: Sniffed; mapping: Mapping }
  | { type: 'run'; file: File; sniffed: Sniffed; mapping: Mapping; skipRows?: number }
  | { type: 'ack'; batchNo: number }
  | { type: 'abort' }

const ctx = self as unknown as DedicatedWorkerGlobalScope
let pendingAck: ((ok: boolean) => void) | null = null
let communes: Communes | undefined
let xlsxRows: { file: File; rows: string[][] } | undefined

async function loadCommunes(): Promise<Communes | undefined> {
  if (communes) return communes
  try {
    const r = await fetch(new URL('/api/import/postal-codes', ctx.location.origin))
    if (!r.ok) return undefined
    const data = (await r.json()) as Record<string, string[]>
    communes = new Map(Object.entries(data).map(([pc, names]) => [pc, names.map((name) => ({ name, key: cityKey(name) }))]))
    return communes
  } catch {
    return undefined // the check is skipped, never the import
  }
}

async function worksheet(file: File): Promise<string[][]> {
  if (xlsxRows?.file === file) return xlsxRows.rows
  try {
    const rows = await readXlsx(await file.arrayBuffer())
    xlsxRows = { file, rows }
    return rows
  } catch {
    throw new ImportFatal('unreadable')
  }
}

async function* records(file: File, s: Sniffed): AsyncGenerator<{ index: number; cells: string[] }[]> {
  if (s.kind === 'xlsx') {
    const rows = await worksheet(file)
    for (let i = 0; i < rows.length; i += BATCH_ROWS) yield rows.slice(i, i + BATCH_ROWS).map((cells, k) => ({ index: i + k, cells }))
    return
  }
  yield* csvRecords(blobChunks(file), s)
}

async function sniff(file: File, unnamed: string): Promise<Sniffed> {
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer())
  const kind = sniffKind(head)
  checkSize(kind === 'xlsx' ? 'xlsx' : 'csv', file.size)
  const name = (i: number) => unnamed.replace('{n}', String(i))
  if (kind === 'xlsx') return fromRows('xlsx', await worksheet(file), name, { encoding: null, delimiter: null, newline: '\n' })
  const s = sniffCsv(head, name, file.size <= SNIFF_BYTES)
  if (!s.sample.length && file.size <= SNIFF_BYTES) throw new ImportFatal(s.hasHeader ? 'header_only' : 'empty')
  return s
}

async function validate(file: File, s: Sniffed, mapping: Mapping) {
  const c = mapping && Object.values(mapping).includes('postal_code') ? await loadCommunes() : undefined
  const p = createPipeline(s, mapping, c)
  const preview: BatchRow[] = [] // the first 2,000 valid rows: the table shows 20, the policy preview matches them all
  const rejects: BatchRow[] = []
  const warnings: { n: number; warnings: unknown[] }[] = []
  let done = 0
  for await (const recs of records(file, s)) {
    const { rows, issues } = p.process(recs)
    for (const r of rows) {
      if (r.error_reason) { if (rejects.length < 200) rejects.push(r) } else if (preview.length < 2000) preview.push(r)
    }
    for (const i of issues) if (warnings.length < 200) warnings.push(i)
    done += recs.length
    ctx.postMessage({ type: 'progress', records: done })
  }
  if (p.tally.rows === 0) throw new ImportFatal(s.hasHeader ? 'header_only' : 'empty')
  ctx.postMessage({ type: 'validated', tally: p.tally, preview, rejects, warnings })
}

async function run(file: File, s: Sniffed, mapping: Mapping, skipRows = 0) {
  const c = Object.values(mapping).includes('postal_code') ? await loadCommunes() : undefined
  const p = createPipeline(s, mapping, c)
  let batch: BatchRow[] = []
  let batchNo = 0
  const flush = async () => {
    if (!batch.length) return true
    const rows = batch
    batch = []
    const no = batchNo++
    const ok = await new Promise<boolean>((resolve) => {
      pendingAck = resolve
      if (no * BATCH_ROWS + rows.length <= skipRows) return resolve(true) // already applied (resumed run)
      ctx.postMessage({ type: 'batch', batchNo: no, rows, tally: p.tally })
    })
    return ok
  }
  for await (const recs of records(file, s)) {
    const { rows } = p.process(recs)
    for (const r of rows) {
      batch.push(r)
      if (batch.length >= BATCH_ROWS && !(await flush())) return
    }
  }
  if (!(await flush())) return
  ctx.postMessage({ type: 'done', tally: p.tally })
}

ctx.onmessage = async (e: MessageEvent<WorkerIn>) => {
  const m = e.data
  if (m.type === 'ack') { const r = pendingAck; pendingAck = null; r?.(true); return }
  if (m.type === 'abort') { const r = pendingAck; pendingAck = null; r?.(false); return }
  try {
    if (m.type === 'sniff') ctx.postMessage({ type: 'sniffed', sniffed: await sniff(m.file, m.unnamed) })
    else if (m.type === 'validate') await validate(m.file, m.sniffed, m.mapping)
    else if (m.type === 'run') await run(m.file, m.sniffed, m.mapping, m.skipRows)
  } catch (err) {
    if (err instanceof ImportFatal) ctx.postMessage({ type: 'fatal', code: err.code, detail: err.detail })
    else ctx.postMessage({ type: 'fatal', code: 'unreadable', detail: { message: String((err as Error)?.message ?? err) } })
  }
}
