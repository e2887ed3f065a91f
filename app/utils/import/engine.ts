/**
 * The import engine, shared by the Web Worker (browser) and bench/import.ts
 * (Node): sniff the head of a file, stream its rows chunk by chunk (≤ 8 MB of
 * bytes at a time, so memory stays flat), and turn rows into the batches the
 * import_apply_batch RPC takes.
 */
import { createCsvStream, detectDelimiter, detectHeaderRow, detectNewline, uniqueHeaders } from './csv'
import { createDecoder, detectEncoding, sniffKind, type FileKind, type TextEncoding } from './encoding'
import type { Mapping } from './fields'
import { isBlankRow, normalizeRow, type Communes, type ImportContact, type RowIssue } from './normalize'

export const CHUNK_BYTES = 8 * 1024 * 1024
export const SNIFF_BYTES = 1024 * 1024
export const MAX_CSV_BYTES = 100 * 1024 * 1024
export const MAX_XLSX_BYTES = 20 * 1024 * 1024
/** Rows per import_apply_batch call: well inside the API's 8 s statement timeout even on a busy database. */
export const BATCH_ROWS = 1000

export type FatalCode = 'empty' | 'binary' | 'xls' | 'too_large' | 'header_only' | 'unterminated_quote' | 'unreadable'
export class ImportFatal extends Error {
  constructor(public code: FatalCode, public detail: Record<string, string | number> = {}) { super(code) }
}

export interface Sniffed {
  kind: 'csv' | 'xlsx'
  encoding: TextEncoding | null
  delimiter: string | null
  newline: string
  /** Records (0-based) before the first data row: title lines and the header. */
  headerRecord: number
  hasHeader: boolean
  headers: string[]
  duplicateHeaders: string[]
  sample: string[][]
}

export function checkSize(kind: FileKind | 'csv', bytes: number) {
  if (bytes === 0) throw new ImportFatal('empty')
  const max = kind === 'xlsx' ? MAX_XLSX_BYTES : MAX_CSV_BYTES
  if (bytes > max) throw new ImportFatal('too_large', { size_mb: Math.ceil(bytes / 1048576), max_mb: max / 1048576 })
}

/** Sniffs CSV text: encoding, delimiter, header row and the first rows. */
export function sniffCsv(head: Uint8Array, unnamed: (i: number) => string, complete: boolean): Sniffed {
  const kind = sniffKind(head)
  if (kind === 'empty') throw new ImportFatal('empty')
  if (kind === 'binary') throw new ImportFatal('binary')
  if (kind === 'xls') throw new ImportFatal('xls')
  const encoding = detectEncoding(head)
  const d = createDecoder(encoding)
  const text = d.push(head) + (complete ? d.end() : '')
  if (!text.trim()) throw new ImportFatal('empty')
  const delimiter = detectDelimiter(text.slice(0, 64 * 1024))
  const newline = detectNewline(text)
  const csv = createCsvStream(delimiter, newline)
  let rows: string[][]
  try {
    rows = csv.push(text)
    if (complete) rows = rows.concat(csv.end())
  } catch (e) {
    throw new ImportFatal('unterminated_quote', { row: (e as { row?: number }).row ?? 1 })
  }
  return fromRows('csv', rows, unnamed, { encoding, delimiter, newline })
}

/** Header detection and sample over already-split rows (CSV head or a worksheet). */
export function fromRows(kind: 'csv' | 'xlsx', rows: string[][], unnamed: (i: number) => string,
  extra: { encoding: TextEncoding | null; delimiter: string | null; newline: string }): Sniffed {
  const nonBlank = rows.filter((r) => !isBlankRow(r))
  if (!nonBlank.length) throw new ImportFatal('empty')
  const h = detectHeaderRow(rows.slice(0, 10))
  const width = Math.max(...rows.slice(0, 200).map((r) => r.length))
  const rawHeaders = h >= 0 ? rows[h]! : Array.from({ length: width }, () => '')
  // With a header, its width is the file's: longer rows are misaligned (rejected row by row).
  const { headers, duplicates } = uniqueHeaders(rawHeaders, unnamed)
  const headerRecord = h >= 0 ? h + 1 : 0
  const sample = rows.slice(headerRecord).filter((r) => !isBlankRow(r)).slice(0, 50)
  return { kind, ...extra, headerRecord, hasHeader: h >= 0, headers, duplicateHeaders: duplicates, sample }
}

/** Rows of a byte stream, chunk by chunk, with their record index (0-based). */
export async function* csvRecords(chunks: AsyncIterable<Uint8Array>, s: Sniffed): AsyncGenerator<{ index: number; cells: string[] }[]> {
  const d = createDecoder(s.encoding ?? 'utf-8')
  const csv = createCsvStream(s.delimiter ?? ';', s.newline)
  let index = 0
  const wrap = (rows: string[][]) => rows.map((cells) => ({ index: index++, cells }))
  try {
    for await (const bytes of chunks) {
      const rows = csv.push(d.push(bytes))
      if (rows.length) yield wrap(rows)
    }
    const rest = csv.push(d.end())
    const last = csv.end()
    if (rest.length || last.length) yield wrap([...rest, ...last])
  } catch (e) {
    const row = (e as { row?: number }).row
    throw new ImportFatal('unterminated_quote', { row: row ?? index + 1 })
  }
}

/** The flat row import_apply_batch takes. */
export interface BatchRow extends ImportContact {
  n: number
  raw: string[]
  error_field?: string
  error_reason?: string
}

export interface Tally {
  rows: number
  valid: number
  rejected: number
  warnings: Record<string, number>
  inFileDuplicates: number
}

/** Turns records into batch rows; counts what the preview shows. */
export function createPipeline(s: Sniffed, mapping: Mapping, communes?: Communes) {
  const tally: Tally = { rows: 0, valid: 0, rejected: 0, warnings: {}, inFileDuplicates: 0 }
  const seen = new Set<string>()
  const SEEN_CAP = 300_000
  function process(records: { index: number; cells: string[] }[]): { rows: BatchRow[]; issues: { n: number; warnings: RowIssue[] }[] } {
    const out: BatchRow[] = []
    const issues: { n: number; warnings: RowIssue[] }[] = []
    for (const r of records) {
      if (r.index < s.headerRecord || isBlankRow(r.cells)) continue
      const n = r.index + 1
      tally.rows++
      const res = normalizeRow(r.cells, s.headers, mapping, communes)
      if (res.error) {
        tally.rejected++
        out.push({ n, raw: r.cells, error_field: res.error.field, error_reason: res.error.code })
        continue
      }
      tally.valid++
      for (const w of res.warnings) tally.warnings[w.code] = (tally.warnings[w.code] ?? 0) + 1
      if (res.warnings.length) issues.push({ n, warnings: res.warnings })
      const c = res.contact
      const keys = [c.email && `e:${c.email}`, c.phone && `p:${c.phone}`, c.siret && `s:${c.siret}`].filter(Boolean) as string[]
      if (keys.some((k) => seen.has(k))) tally.inFileDuplicates++
      if (seen.size < SEEN_CAP) for (const k of keys) seen.add(k)
      out.push({ n, raw: r.cells, ...c })
    }
    return { rows: out, issues }
  }
  return { process, tally }
}

/** Async iterable over a Blob in slices of CHUNK_BYTES (browser and Node ≥ 20). */
export async function* blobChunks(blob: Blob, size = CHUNK_BYTES): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < blob.size; at += size) {
    yield new Uint8Array(await blob.slice(at, at + size).arrayBuffer())
  }
}
