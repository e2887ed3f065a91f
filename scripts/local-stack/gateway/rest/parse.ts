/**
 * The PostgREST query-string grammar: `select`, filters (`col=op.value`),
 * logic trees (`or=(…)`), `order`, and the `Prefer` header. Pure functions,
 * no SQL here; names are checked against the schema cache when SQL is built.
 */
import { ApiError, parseError } from './errors.ts'

export interface JsonStep {
  op: '->' | '->>'
  key: string
  /** An integer key indexes a JSON array. */
  index: boolean
}

export interface Field {
  name: string
  path: JsonStep[]
}

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'col'; field: Field; cast?: string; alias?: string }
  | { kind: 'embed'; name: string; alias?: string; hint?: string; join: 'left' | 'inner'; spread: boolean; items: SelectItem[] }

export const OPERATORS = [
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'is', 'isdistinct', 'in',
  'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'fts', 'plfts', 'phfts', 'wfts',
] as const
export type Operator = (typeof OPERATORS)[number]
const QUANTIFIABLE = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch'])
const FTS = new Set(['fts', 'plfts', 'phfts', 'wfts'])

export interface Filter {
  kind: 'filter'
  field: Field
  negate: boolean
  op: Operator
  quantifier?: 'any' | 'all'
  config?: string
  /** `in` → list of values; `is` → keyword; otherwise the raw value. */
  value: string
  list?: string[]
}

export interface Logic {
  kind: 'logic'
  op: 'and' | 'or'
  negate: boolean
  children: (Filter | Logic)[]
}

export interface OrderTerm {
  relation?: string
  field: Field
  dir?: 'asc' | 'desc'
  nulls?: 'first' | 'last'
}

const isIdentChar = (c: string) => /[\p{L}\p{N}_$ ]/u.test(c)

/** Removes whitespace outside double quotes (as postgrest-js does for select). */
export function stripSpaces(s: string): string {
  let out = ''
  let q = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '\\' && q && i + 1 < s.length) {
      out += c + s[++i]
      continue
    }
    if (c === '"') q = !q
    if (!q && /\s/.test(c)) continue
    out += c
  }
  return out
}

/** Splits on `sep` at paren depth 0, outside double quotes. */
export function splitTop(s: string, sep = ','): string[] {
  const parts: string[] = []
  let depth = 0
  let q = false
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '\\' && q && i + 1 < s.length) {
      cur += c + s[++i]
      continue
    }
    if (c === '"') q = !q
    else if (!q && c === '(') depth++
    else if (!q && c === ')') depth--
    if (depth < 0) throw parseError(`failed to parse: unbalanced parentheses in "${s}"`)
    if (!q && depth === 0 && c === sep) {
      parts.push(cur)
      cur = ''
      continue
    }
    cur += c
  }
  if (q) throw parseError(`failed to parse: unterminated quote in "${s}"`)
  if (depth !== 0) throw parseError(`failed to parse: unbalanced parentheses in "${s}"`)
  parts.push(cur)
  return parts
}

/** A small cursor over a string. */
class Cursor {
  i = 0
  constructor(public s: string) {}
  get done() {
    return this.i >= this.s.length
  }
  peek(n = 1) {
    return this.s.slice(this.i, this.i + n)
  }
  eat(t: string) {
    if (this.s.startsWith(t, this.i)) {
      this.i += t.length
      return true
    }
    return false
  }
  rest() {
    return this.s.slice(this.i)
  }
  /** An identifier, bare or double-quoted. */
  ident(what: string): string {
    if (this.peek() === '"') {
      this.i++
      let out = ''
      while (!this.done && this.peek() !== '"') {
        if (this.peek() === '\\' && this.i + 1 < this.s.length) this.i++
        out += this.s[this.i++]
      }
      if (!this.eat('"')) throw parseError(`failed to parse ${what}: unterminated quoted identifier`, this.s)
      return out
    }
    const start = this.i
    while (!this.done && isIdentChar(this.peek()) && !this.s.startsWith('->', this.i)) this.i++
    if (this.i === start) throw parseError(`failed to parse ${what} (${this.s})`, `unexpected "${this.peek() || 'end of input'}" at position ${this.i + 1}`)
    return this.s.slice(start, this.i)
  }
}

function parseJsonPath(c: Cursor, what: string): JsonStep[] {
  const path: JsonStep[] = []
  for (;;) {
    let op: '->' | '->>'
    if (c.eat('->>')) op = '->>'
    else if (c.eat('->')) op = '->'
    else return path
    let keyStr: string
    let index = false
    if (c.peek() === '"') keyStr = c.ident(what)
    else {
      const m = /^-?\d+/.exec(c.rest())
      if (m && !/^[\p{L}_]/u.test(c.rest().slice(m[0].length))) {
        keyStr = m[0]
        c.i += m[0].length
        index = true
      } else keyStr = c.ident(what)
    }
    path.push({ op, key: keyStr, index })
  }
}

/** A field: column name plus optional JSON path. */
export function parseField(s: string, what = 'field'): Field {
  const c = new Cursor(s)
  const name = c.ident(what)
  const path = parseJsonPath(c, what)
  if (!c.done) throw parseError(`failed to parse ${what} (${s})`, `unexpected "${c.peek()}"`)
  return { name, path }
}

export function parseSelect(raw: string): SelectItem[] {
  const s = stripSpaces(raw)
  if (s === '') return []
  return splitTop(s).map((part) => parseSelectItem(part, raw))
}

function parseSelectItem(part: string, whole: string): SelectItem {
  const fail = (d: string) => parseError(`failed to parse select parameter (${whole})`, d)
  if (part === '') throw fail('empty select item')
  if (part === '*') return { kind: 'star' }
  const c = new Cursor(part)
  const spread = c.eat('...')
  let alias: string | undefined
  let name = c.ident('select parameter')
  if (c.peek() === ':' && c.peek(2) !== '::') {
    c.i++
    alias = name
    name = c.ident('select parameter')
  }
  let hint: string | undefined
  let join: 'left' | 'inner' = 'left'
  let isEmbed = false
  while (c.eat('!')) {
    const h = c.ident('select parameter')
    if (h === 'inner' || h === 'left') join = h
    else if (hint === undefined) hint = h
    else throw fail(`unexpected hint "${h}"`)
    isEmbed = true
  }
  if (c.peek() === '(') {
    // embedded resource: rel(items)
    const inner = part.slice(c.i + 1)
    if (!inner.endsWith(')')) throw fail(`unbalanced parentheses in "${part}"`)
    const body = inner.slice(0, -1)
    const items = body === '' ? [] : splitTop(body).map((p) => parseSelectItem(p, whole))
    return { kind: 'embed', name, alias, hint, join, spread, items }
  }
  if (isEmbed || spread) throw fail(`"${part}" must be followed by (…)`)
  const path = parseJsonPath(c, 'select parameter')
  // `col.sum()`, `col.count()`…: aggregates, disabled on Supabase.
  if (/^\.(count|sum|avg|min|max)\(\)/.test(c.rest())) throw new ApiError(400, 'PGRST123', 'Use of aggregate functions is not allowed')
  let cast: string | undefined
  if (c.eat('::')) {
    cast = c.rest()
    c.i = c.s.length
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\[\])?$/.test(cast)) throw fail(`invalid cast "${cast}"`)
  }
  if (!c.done) throw fail(`unexpected "${c.rest()}"`)
  return { kind: 'col', field: { name, path }, cast, alias }
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1')
  return v
}

/** `(a,"b,c",d)` → ['a', 'b,c', 'd'] */
export function parseList(raw: string, whole: string): string[] {
  if (!raw.startsWith('(') || !raw.endsWith(')')) throw parseError(`failed to parse filter (${whole})`, 'expected a list in parentheses')
  const inner = raw.slice(1, -1)
  if (inner === '') return []
  const out: string[] = []
  let cur = ''
  let q = false
  let quoted = false
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]
    if (q) {
      if (c === '\\' && i + 1 < inner.length) cur += inner[++i]
      else if (c === '"') q = false
      else cur += c
      continue
    }
    if (c === '"') {
      q = true
      quoted = true
    } else if (c === ',') {
      out.push(cur)
      cur = ''
      quoted = false
    } else cur += c
  }
  if (q) throw parseError(`failed to parse filter (${whole})`, 'unterminated quote')
  void quoted
  out.push(cur)
  return out
}

/** `[not.]op[(mod)].value` */
export function parseFilterValue(field: Field, raw: string, inLogic = false): Filter {
  const fail = () => parseError(`failed to parse filter (${raw})`, `unexpected operator or value in "${raw}"`)
  let rest = raw
  let negate = false
  if (rest.startsWith('not.')) {
    negate = true
    rest = rest.slice(4)
  }
  const m = /^([a-z]+)(?:\(([^)]*)\))?\.([\s\S]*)$/.exec(rest)
  if (!m) throw fail()
  const op = m[1] as Operator
  if (!(OPERATORS as readonly string[]).includes(op)) throw fail()
  let value = m[3]
  if (inLogic && op !== 'in') value = unquote(value)
  const f: Filter = { kind: 'filter', field, negate, op, value }
  if (m[2] !== undefined) {
    if (FTS.has(op)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(m[2])) throw fail()
      f.config = m[2]
    } else if (QUANTIFIABLE.has(op) && (m[2] === 'any' || m[2] === 'all')) f.quantifier = m[2]
    else throw fail()
  }
  if (op === 'in') f.list = parseList(value, raw)
  if (op === 'is') {
    const v = value.toLowerCase()
    if (!['null', 'true', 'false', 'unknown', 'not_null'].includes(v)) throw fail()
    f.value = v
  }
  return f
}

/** `(a.eq.1,and(b.gt.2,c.lt.3))` under `or`/`and`. */
export function parseLogic(op: 'and' | 'or', negate: boolean, raw: string): Logic {
  if (!raw.startsWith('(') || !raw.endsWith(')')) {
    throw parseError(`failed to parse logic tree (${raw})`, 'expected "(" … ")"')
  }
  const inner = raw.slice(1, -1)
  const children = splitTop(inner).map((item): Filter | Logic => {
    const lm = /^(not\.)?(and|or)(\(.*\))$/s.exec(item)
    if (lm) return parseLogic(lm[2] as 'and' | 'or', !!lm[1], lm[3])
    const c = new Cursor(item)
    const name = c.ident('logic tree')
    const path = parseJsonPath(c, 'logic tree')
    if (!c.eat('.')) throw parseError(`failed to parse logic tree (${raw})`, `unexpected "${c.rest()}"`)
    return parseFilterValue({ name, path }, c.rest(), true)
  })
  if (children.length === 0 || (children.length === 1 && inner === '')) throw parseError(`failed to parse logic tree (${raw})`, 'empty logic tree')
  return { kind: 'logic', op, negate, children }
}

export function parseOrder(raw: string): OrderTerm[] {
  return splitTop(raw).map((term) => {
    const fail = () => parseError(`failed to parse order (${raw})`, `unexpected "${term}"`)
    const c = new Cursor(term)
    let relation: string | undefined
    let name = c.ident('order')
    if (c.peek() === '(') {
      relation = name
      c.i++
      name = c.ident('order')
      const path0 = parseJsonPath(c, 'order')
      if (!c.eat(')')) throw fail()
      const t: OrderTerm = { relation, field: { name, path: path0 } }
      return orderMods(c, t, fail)
    }
    const path = parseJsonPath(c, 'order')
    return orderMods(c, { field: { name, path } }, fail)
  })
}

function orderMods(c: Cursor, t: OrderTerm, fail: () => Error): OrderTerm {
  while (c.eat('.')) {
    const w = c.ident('order')
    if (w === 'asc' || w === 'desc') t.dir = w
    else if (w === 'nullsfirst') t.nulls = 'first'
    else if (w === 'nullslast') t.nulls = 'last'
    else throw fail()
  }
  if (!c.done) throw fail()
  return t
}

export interface Prefer {
  return?: 'minimal' | 'headers-only' | 'representation'
  count?: 'exact' | 'planned' | 'estimated'
  resolution?: 'merge-duplicates' | 'ignore-duplicates'
  missing?: 'default' | 'null'
  handling?: 'strict' | 'lenient'
  maxAffected?: number
  tx?: string
  timezone?: string
  invalid: string[]
}

export function parsePrefer(header: string | string[] | undefined): Prefer {
  const p: Prefer = { invalid: [] }
  const raw = Array.isArray(header) ? header.join(',') : header ?? ''
  for (const part of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v = ''] = part.split('=').map((x) => x.trim())
    if (k === 'return' && ['minimal', 'headers-only', 'representation'].includes(v)) p.return = v as Prefer['return']
    else if (k === 'count' && ['exact', 'planned', 'estimated'].includes(v)) p.count = v as Prefer['count']
    else if (k === 'resolution' && ['merge-duplicates', 'ignore-duplicates'].includes(v)) p.resolution = v as Prefer['resolution']
    else if (k === 'missing' && ['default', 'null'].includes(v)) p.missing = v as Prefer['missing']
    else if (k === 'handling' && ['strict', 'lenient'].includes(v)) p.handling = v as Prefer['handling']
    else if (k === 'max-affected' && /^\d+$/.test(v)) p.maxAffected = Number(v)
    else if (k === 'tx' && ['commit', 'rollback'].includes(v)) p.tx = v
    else if (k === 'timezone' && v) p.timezone = v
    else p.invalid.push(part)
  }
  return p
}
