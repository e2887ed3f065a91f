/**
 * CSV sniffing and chunked parsing over papaparse's low-level parser: the
 * delimiter (; , tab |), the header row (title lines before it are skipped),
 * unique header names, and a streaming parser that carries an unfinished row
 * (a quoted field spanning chunks) over to the next chunk.
 */
import Papa from 'papaparse'

export const DELIMITERS = [';', ',', '\t', '|'] as const
export type Delimiter = (typeof DELIMITERS)[number]

/** Largest single row accepted (an unterminated quote swallows the rest of the file). */
export const MAX_ROW_CHARS = 1_000_000

/** Counts delimiters outside quotes, per line, on the first lines. */
function delimiterCounts(text: string, d: string, maxLines = 30): number[] {
  const counts: number[] = []
  let n = 0
  let quoted = false
  for (let i = 0; i < text.length && counts.length < maxLines; i++) {
    const ch = text[i]
    if (ch === '"') quoted = !quoted
    else if (!quoted && ch === d) n++
    else if (!quoted && ch === '\n') { counts.push(n); n = 0 }
  }
  if (n > 0 && counts.length < maxLines) counts.push(n)
  return counts
}

/** The delimiter whose per-line count is highest and most regular. */
export function detectDelimiter(sample: string): Delimiter {
  let best: Delimiter = ';'
  let bestScore = -1
  for (const d of DELIMITERS) {
    const counts = delimiterCounts(sample, d).filter((c, i, all) => c > 0 || i < all.length - 1)
    if (!counts.length) continue
    const freq = new Map<number, number>()
    for (const c of counts) if (c > 0) freq.set(c, (freq.get(c) ?? 0) + 1)
    if (!freq.size) continue
    const [mode, times] = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]!
    const score = (times / counts.length) * 1000 + mode
    if (score > bestScore) { bestScore = score; best = d }
  }
  return best
}

export function detectNewline(sample: string): '\r\n' | '\n' | '\r' {
  const i = sample.indexOf('\n')
  if (i > 0 && sample[i - 1] === '\r') return '\r\n'
  if (i >= 0) return '\n'
  return sample.includes('\r') ? '\r' : '\n'
}

const looksLikeData = (v: string) =>
  /@/.test(v) || /^[+\d][\d\s.()-]{5,}$/.test(v.trim()) || /^\d+([.,]\d+)?$/.test(v.trim())

/**
 * Index of the header row among the first rows: the first row that fills at
 * least half of the widest row and holds no e-mail, phone or number; -1 when
 * the first full row already looks like data (a file without header).
 */
export function detectHeaderRow(rows: string[][]): number {
  const width = Math.max(0, ...rows.map((r) => r.filter((c) => c.trim() !== '').length))
  for (let i = 0; i < Math.min(rows.length, 10); i++) {
    const cells = rows[i]!.filter((c) => c.trim() !== '')
    if (cells.length < Math.max(1, Math.ceil(width / 2))) continue // a title line
    return cells.some(looksLikeData) ? -1 : i
  }
  return rows.length ? 0 : -1
}

/** Unique, non-empty header names ("Nom", "Nom (2)", "Colonne 3"), and which were renamed. */
export function uniqueHeaders(raw: string[], unnamed: (i: number) => string): { headers: string[]; duplicates: string[] } {
  const seen = new Map<string, number>()
  const duplicates: string[] = []
  const headers = raw.map((h, i) => {
    const base = h.replace(/^\uFEFF/, '').trim() || unnamed(i + 1)
    const key = base.toLowerCase()
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    if (n > 1) { duplicates.push(base); return `${base} (${n})` }
    return base
  })
  return { headers, duplicates }
}

export class RowTooLongError extends Error {
  constructor(public row: number) { super('row_too_long') }
}

/**
 * Streaming CSV: push decoded text, get complete rows back. An unfinished row
 * stays in the carry; a row longer than MAX_ROW_CHARS means an unterminated quote.
 */
export function createCsvStream(delimiter: string, newline: string) {
  const parser = new (Papa as unknown as { Parser: new (c: object) => { parse: (i: string, b: number, ignoreLast: boolean) => Papa.ParseResult<string[]> } }).Parser({
    delimiter, newline, quoteChar: '"', escapeChar: '"', skipEmptyLines: false,
  })
  let carry = ''
  let rowsSoFar = 0
  function parse(text: string, last: boolean): string[][] {
    const input = carry + text
    if (!input) return []
    const r = parser.parse(input, 0, !last)
    carry = last ? '' : input.slice(r.meta.cursor)
    if (carry.length > MAX_ROW_CHARS) throw new RowTooLongError(rowsSoFar + r.data.length + 1)
    const before = rowsSoFar
    const rows = r.data.filter((row) => !(row.length === 1 && row[0] === ''))
    rowsSoFar += r.data.length
    const unterminated = last ? r.errors.find((e) => e.code === 'MissingQuotes') : undefined
    if (unterminated) throw new RowTooLongError(before + (unterminated.row ?? 0) + 1)
    return rows
  }
  return { push: (text: string) => parse(text, false), end: () => parse('', true) }
}
