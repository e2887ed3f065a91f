/**
 * postgres_changes filters: `col=op.value` items joined by commas (ANDed),
 * operators eq neq lt lte gt gte in is like ilike, with an optional `not.`
 * prefix. Values use PostgREST quoting (`in.(a,"b,c")`). Evaluated against the
 * typed record (numbers compare as numbers, the rest as text).
 */

export type FilterOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'is' | 'like' | 'ilike'

export interface FilterItem {
  column: string
  op: FilterOp
  negate: boolean
  /** One value, or the list of `in`. */
  values: string[]
}

const OPS = new Set<FilterOp>(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'is', 'like', 'ilike'])

export class FilterError extends Error {}

/** Splits on commas that are outside parentheses and double quotes. */
function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === '\\' && quoted && i + 1 < s.length) {
      cur += ch + s[++i]
      continue
    }
    if (ch === '"') quoted = !quoted
    else if (!quoted && ch === '(') depth++
    else if (!quoted && ch === ')') depth--
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

function unquote(v: string): string {
  const t = v.trim()
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1')
  return t
}

export function parseFilter(filter: string | undefined): FilterItem[] {
  if (!filter || !filter.trim()) return []
  return splitTop(filter).map((item) => {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new FilterError(`invalid filter "${item}"`)
    const column = item.slice(0, eq).trim()
    let rest = item.slice(eq + 1)
    let negate = false
    if (rest.startsWith('not.')) {
      negate = true
      rest = rest.slice(4)
    }
    const dot = rest.indexOf('.')
    if (dot <= 0) throw new FilterError(`invalid filter "${item}"`)
    const op = rest.slice(0, dot) as FilterOp
    if (!OPS.has(op)) throw new FilterError(`unsupported filter operator "${op}"`)
    const raw = rest.slice(dot + 1)
    if (op === 'in') {
      const m = /^\((.*)\)$/s.exec(raw.trim())
      if (!m) throw new FilterError(`invalid in list "${raw}"`)
      return { column, op, negate, values: (m[1] ?? '').trim() === '' ? [] : splitTop(m[1] ?? '').map(unquote) }
    }
    if (op === 'is' && !/^(null|true|false|unknown)$/i.test(raw)) throw new FilterError(`invalid is value "${raw}"`)
    return { column, op, negate, values: [unquote(raw)] }
  })
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  let re = ''
  for (const ch of pattern) {
    if (ch === '%' || ch === '*') re += '.*'
    else if (ch === '_') re += '.'
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, flags + 's')
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

function compare(v: unknown, target: string): number | null {
  if (typeof v === 'number') {
    const n = Number(target)
    if (Number.isNaN(n)) return null
    return v < n ? -1 : v > n ? 1 : 0
  }
  if (typeof v === 'boolean') {
    const b = /^(t|true|1|yes|on)$/i.test(target) ? true : /^(f|false|0|no|off)$/i.test(target) ? false : null
    if (b === null) return null
    return v === b ? 0 : v ? 1 : -1
  }
  const s = asText(v)
  // uuid and other case-insensitive textual forms compare exactly as stored; plain text compares by code point.
  return s < target ? -1 : s > target ? 1 : 0
}

function itemMatches(item: FilterItem, record: Record<string, unknown>): boolean {
  const v0 = item.values[0] ?? ''
  if (!(item.column in record)) return false
  const v = record[item.column]
  if (item.op === 'is') {
    const want = v0.toLowerCase()
    const r = want === 'null' || want === 'unknown' ? v === null : v === (want === 'true')
    return item.negate ? !r : r
  }
  // SQL semantics: comparisons with NULL are never true (nor is their negation).
  if (v === null) return false
  let r: boolean
  switch (item.op) {
    case 'eq':
      r = compare(v, v0) === 0
      break
    case 'neq':
      r = compare(v, v0) !== 0
      break
    case 'lt':
      r = (compare(v, v0) ?? 0) < 0
      break
    case 'lte':
      r = (compare(v, v0) ?? 1) <= 0
      break
    case 'gt':
      r = (compare(v, v0) ?? 0) > 0
      break
    case 'gte':
      r = (compare(v, v0) ?? -1) >= 0
      break
    case 'in':
      r = item.values.some((x) => compare(v, x) === 0)
      break
    case 'like':
      r = likeToRegExp(v0, '').test(asText(v))
      break
    case 'ilike':
      r = likeToRegExp(v0, 'i').test(asText(v))
      break
    default:
      r = false
  }
  return item.negate ? !r : r
}

export function matches(items: FilterItem[], record: Record<string, unknown>): boolean {
  return items.every((i) => itemMatches(i, record))
}
