/**
 * SQL generation for the REST module. Every identifier comes from the schema
 * cache and is quoted; every value is a `$n::text` parameter cast to the
 * column's catalog type. Postgres builds the JSON (json_agg / row_to_json).
 */
import { ApiError, closest, parseError, undefinedColumn } from './errors.ts'
import type { Field, Filter, Logic, OrderTerm, SelectItem } from './parse.ts'
import { key, type Column, type ForeignKey, type SchemaCache, type Table } from './schema.ts'

export const qi = (id: string) => '"' + id.replace(/"/g, '""') + '"'
export const qname = (schema: string, name: string) => `${qi(schema)}.${qi(name)}`

export class Params {
  values: string[] = []
  /** The limit/offset parameters: which node's value each one carries (see pageSql). */
  page: { index: number; node?: Node; kind: 'limit' | 'offset' }[] = []
  /** A text parameter; callers cast it to the type they need. */
  add(v: string): string {
    this.values.push(v)
    return `$${this.values.length}::text`
  }
}

/** What a node selects from: a table/view, or the row type of a function. */
export interface Source {
  schema: string
  name: string
  columns: Map<string, Column>
  columnOrder: string[]
  /** The relation whose foreign keys give this source's relationships. */
  relTable?: Table
}

export interface Relationship {
  kind: 'm2o' | 'o2m' | 'm2m'
  toOne: boolean
  fk: ForeignKey
  /** m2m: the junction table, its FK to the parent and its FK to the target. */
  junction?: { table: Table; toParent: ForeignKey; toTarget: ForeignKey }
  target: Table
}

export interface Node {
  source: Source
  alias: string
  items: SelectItem[]
  embeds: Embed[]
  filters: (Filter | Logic)[]
  /** Top-level `rel=is.null` / `rel=not.is.null` on an embed of this node. */
  order: OrderTerm[]
  limit?: number
  offset?: number
}

export interface Embed extends Node {
  name: string
  outName: string
  rel: Relationship
  join: 'left' | 'inner'
  spread: boolean
  nullFilter?: 'null' | 'not_null'
  item: Extract<SelectItem, { kind: 'embed' }>
}

export class Aliases {
  n = 0
  next(p = 't') {
    return `${p}${this.n++}`
  }
}

function tableSource(t: Table): Source {
  return { schema: t.schema, name: t.name, columns: t.columns, columnOrder: t.columnOrder, relTable: t }
}

export function lookupTable(cache: SchemaCache, schema: string, name: string): Table {
  const t = cache.tables.get(key(schema, name))
  if (t) return t
  const names = [...cache.tables.values()].filter((x) => x.schema === schema).map((x) => x.name)
  const near = closest(name, names)
  throw new ApiError(404, 'PGRST205', `Could not find the table '${schema}.${name}' in the schema cache`, null,
    near ? `Perhaps you meant the table '${schema}.${near}'` : null)
}

const describeRel = (r: Relationship) => {
  if (r.kind === 'm2m') {
    return `${r.junction!.toParent.name} using ${r.junction!.table.name}(${r.junction!.toParent.columns.join(', ')}) and ${r.junction!.toTarget.name}`
  }
  return `${r.fk.name} using ${r.fk.table}(${r.fk.columns.join(', ')}) and ${r.fk.refTable}(${r.fk.refColumns.join(', ')})`
}

const isUnique = (t: Table, cols: string[]) =>
  t.uniques.some((u) => u.length === cols.length && u.every((c) => cols.includes(c)))

/** Relationships between a parent source and the table `name`, narrowed by a hint. */
export function findRelationship(cache: SchemaCache, parent: Source, name: string, hint?: string): Relationship {
  const p = parent.relTable
  const target = cache.tables.get(key(parent.schema, name))
  const notFound = () =>
    new ApiError(400, 'PGRST200', `Could not find a relationship between '${parent.name}' and '${name}' in the schema cache`,
      `Searched for a foreign key relationship between '${parent.name}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${parent.schema}', but no matches were found.`,
      null)
  if (!p || !target) throw notFound()
  const cands: Relationship[] = []
  for (const fk of p.fks) {
    if (fk.refSchema === target.schema && fk.refTable === target.name) cands.push({ kind: 'm2o', toOne: true, fk, target })
  }
  for (const fk of target.fks) {
    if (fk.refSchema === p.schema && fk.refTable === p.name) {
      cands.push({ kind: 'o2m', toOne: isUnique(target, fk.columns), fk, target })
    }
  }
  for (const j of cache.tables.values()) {
    // Junctions are tables: a view over a junction would only duplicate its relationship.
    if (j.schema !== p.schema || j.pk.length === 0 || j.kind === 'v' || j.kind === 'm') continue
    for (const f1 of j.fks) {
      if (f1.refSchema !== p.schema || f1.refTable !== p.name) continue
      for (const f2 of j.fks) {
        if (f2 === f1 || f2.refSchema !== target.schema || f2.refTable !== target.name) continue
        if (![...f1.columns, ...f2.columns].every((c) => j.pk.includes(c))) continue
        cands.push({ kind: 'm2m', toOne: false, fk: f2, junction: { table: j, toParent: f1, toTarget: f2 }, target })
      }
    }
  }
  const matches = hint === undefined ? cands : cands.filter((r) => {
    if (r.kind === 'm2m') return r.junction!.table.name === hint || r.junction!.toParent.name === hint || r.junction!.toTarget.name === hint
    if (r.fk.name === hint) return true
    return r.fk.columns.length === 1 && (r.fk.columns[0] === hint || r.fk.refColumns[0] === hint)
  })
  if (matches.length === 0) throw notFound()
  if (matches.length > 1) {
    const card = (r: Relationship) => (r.kind === 'm2m' ? 'many-to-many' : r.kind === 'm2o' ? 'many-to-one' : r.toOne ? 'one-to-one' : 'one-to-many')
    const hintName = (r: Relationship) => (r.kind === 'm2m' ? r.junction!.table.name : r.fk.name)
    const err = new ApiError(300, 'PGRST201', `Could not embed because more than one relationship was found for '${parent.name}' and '${name}'`,
      null,
      `Try changing '${name}' to one of the following: ${matches.map((r) => `'${name}!${hintName(r)}'`).join(', ')}. Find the desired relationship in the 'details' key.`)
    ;(err as ApiError & { detailsJson?: unknown }).detailsJson = matches.map((r) => ({
      cardinality: card(r), embedding: `${parent.name} with ${name}`, relationship: describeRel(r),
    }))
    throw err
  }
  return matches[0]
}

/** PostgREST's aggregate functions; Supabase keeps them disabled (db-aggregates-enabled = false). */
export const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max'])

export const aggregatesDisabled = () => new ApiError(400, 'PGRST123', 'Use of aggregate functions is not allowed')

/** Builds the node tree of a request from its select items. */
export function buildTree(cache: SchemaCache, source: Source, items: SelectItem[], aliases: Aliases): Node {
  const node: Node = { source, alias: aliases.next(), items, embeds: [], filters: [], order: [] }
  for (const it of items) {
    if (it.kind !== 'embed') continue
    if (AGGREGATES.has(it.name) && it.items.length === 0 && !it.hint && !it.spread && !cache.tables.has(key(source.schema, it.name))) {
      throw aggregatesDisabled()
    }
    const rel = findRelationship(cache, source, it.name, it.hint)
    const child = buildTree(cache, tableSource(rel.target), it.items, aliases)
    const outName = it.alias ?? it.name
    node.embeds.push({ ...child, name: it.name, outName, rel, join: it.join, spread: it.spread, item: it })
  }
  return node
}

/** Finds the node at an embed path (`todos.tags`) by alias or table name. */
export function nodeAt(root: Node, path: string[]): Node {
  let n: Node = root
  for (const seg of path) {
    const e = n.embeds.find((x) => x.outName === seg) ?? n.embeds.find((x) => x.name === seg)
    if (!e) {
      throw new ApiError(400, 'PGRST108', `'${seg}' is not an embedded resource in this request`, null,
        `Verify that '${seg}' is included in the 'select' query parameter.`)
    }
    n = e
  }
  return n
}

function column(src: Source, name: string): Column {
  const c = src.columns.get(name)
  if (!c) throw undefinedColumn(src.name, name)
  return c
}

/** SQL for a field (column + JSON path) and its SQL type. */
function fieldSql(src: Source, alias: string, f: Field, params: Params): { sql: string; type: string; col: Column } {
  const col = column(src, f.name)
  let sql = `${alias}.${qi(f.name)}`
  let type = col.type
  f.path.forEach((step, i) => {
    // ->> on the last step yields text; every other step stays json(b).
    const base = i === 0 && col.typname === 'json' ? 'json' : 'jsonb'
    if (i === 0 && col.typname !== 'json' && col.typname !== 'jsonb') sql = `to_jsonb(${sql})`
    sql = `(${sql} ${step.op} ${step.index ? `(${params.add(step.key)})::int` : params.add(step.key)})`
    type = step.op === '->>' ? 'text' : base
  })
  return { sql, type, col }
}

const CMP: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }
const RANGE: Record<string, string> = { cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxl: '&<', nxr: '&>', adj: '-|-' }
const FTS_FN: Record<string, string> = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' }

/** A Postgres array literal of the given strings. */
export function arrayLiteral(values: string[]): string {
  return '{' + values.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}'
}

function filterSql(src: Source, alias: string, f: Filter, params: Params): string {
  const { sql: e, type, col } = fieldSql(src, alias, f.field, params)
  let out: string
  const val = () => `(${params.add(f.value)})::${type}`
  switch (f.op) {
    case 'eq': case 'neq': case 'gt': case 'gte': case 'lt': case 'lte':
      out = f.quantifier ? `${e} ${CMP[f.op]} ${f.quantifier}((${params.add(f.value)})::${type}[])` : `${e} ${CMP[f.op]} ${val()}`
      break
    case 'like': case 'ilike': case 'match': case 'imatch': {
      const sqlOp = { like: 'like', ilike: 'ilike', match: '~', imatch: '~*' }[f.op]
      const v = f.op === 'like' || f.op === 'ilike' ? f.value.replace(/\*/g, '%') : f.value
      out = f.quantifier ? `${e}::text ${sqlOp} ${f.quantifier}((${params.add(v)})::text[])` : `${e}::text ${sqlOp} ${params.add(v)}`
      break
    }
    case 'is':
      out = `${e} is ${{ null: 'null', not_null: 'not null', true: 'true', false: 'false', unknown: 'unknown' }[f.value]}`
      break
    case 'isdistinct':
      out = `${e} is distinct from ${val()}`
      break
    case 'in':
      out = `${e} = any((${params.add(arrayLiteral([...new Set(f.list!)]))})::${type}[])`
      break
    case 'cs': case 'cd': case 'ov': case 'sl': case 'sr': case 'nxl': case 'nxr': case 'adj':
      out = `${e} ${RANGE[f.op]} ${val()}`
      break
    case 'fts': case 'plfts': case 'phfts': case 'wfts': {
      const cfg = f.config ? `(${params.add(f.config)})::regconfig, ` : ''
      const vec = col.typname === 'tsvector' && f.field.path.length === 0 ? e : `to_tsvector(${cfg}${e})`
      out = `${vec} @@ ${FTS_FN[f.op]}(${cfg}${params.add(f.value)})`
      break
    }
    default:
      throw parseError(`unknown operator ${f.op as string}`)
  }
  return f.negate ? `not (${out})` : out
}

function logicSql(src: Source, alias: string, l: Logic, params: Params): string {
  const parts = l.children.map((c) => (c.kind === 'logic' ? logicSql(src, alias, c, params) : filterSql(src, alias, c, params)))
  const s = `(${parts.join(l.op === 'and' ? ' and ' : ' or ')})`
  return l.negate ? `not ${s}` : s
}

/** The join condition between an embed (alias `a`) and its parent (alias `p`). */
function joinSql(e: Embed | { rel: Relationship }, a: string, p: string, junctionAlias: string): { from: string; where: string } {
  const r = e.rel
  const t = qname(r.target.schema, r.target.name)
  if (r.kind === 'm2o') {
    return { from: `${t} ${a}`, where: r.fk.columns.map((c, i) => `${a}.${qi(r.fk.refColumns[i])} = ${p}.${qi(c)}`).join(' and ') }
  }
  if (r.kind === 'o2m') {
    return { from: `${t} ${a}`, where: r.fk.columns.map((c, i) => `${a}.${qi(c)} = ${p}.${qi(r.fk.refColumns[i])}`).join(' and ') }
  }
  const j = r.junction!
  const ja = junctionAlias
  return {
    from: `${t} ${a} join ${qname(j.table.schema, j.table.name)} ${ja} on ${j.toTarget.columns.map((c, i) => `${ja}.${qi(c)} = ${a}.${qi(j.toTarget.refColumns[i])}`).join(' and ')}`,
    where: j.toParent.columns.map((c, i) => `${ja}.${qi(c)} = ${p}.${qi(j.toParent.refColumns[i])}`).join(' and '),
  }
}

/** WHERE conditions of a node: its filters, plus !inner / null filters on its embeds. */
export function whereSql(n: Node, params: Params, aliases: Aliases): string[] {
  const conds: string[] = []
  for (const f of n.filters) conds.push(f.kind === 'logic' ? logicSql(n.source, n.alias, f, params) : filterSql(n.source, n.alias, f, params))
  for (const e of n.embeds) {
    if (e.join !== 'inner' && !e.nullFilter) continue
    const a = aliases.next('x')
    const sub: Embed = { ...e, alias: a }
    const j = joinSql(sub, a, n.alias, aliases.next('j'))
    const inner = [j.where, ...whereSql(sub, params, aliases)].filter(Boolean).join(' and ')
    const exists = `exists (select 1 from ${j.from} where ${inner})`
    conds.push(e.nullFilter === 'null' ? `not ${exists}` : exists)
  }
  return conds
}

/** The output key of a select item. */
function outName(it: Extract<SelectItem, { kind: 'col' }>): string {
  if (it.alias) return it.alias
  if (it.field.path.length) return it.field.path[it.field.path.length - 1].key
  return it.field.name
}

export interface SelectParts {
  cols: string[]
  laterals: string[]
  names: string[]
}

/** Select list (and lateral joins for spreads) of a node. */
export function selectSql(n: Node, params: Params, aliases: Aliases): SelectParts {
  const out: SelectParts = { cols: [], laterals: [], names: [] }
  const items = n.items.length === 0 && n.embeds.length === 0 ? [] : n.items
  let ei = 0
  for (const it of items) {
    if (it.kind === 'star') {
      for (const c of n.source.columnOrder) {
        out.cols.push(`${n.alias}.${qi(c)} as ${qi(c)}`)
        out.names.push(c)
      }
    } else if (it.kind === 'col') {
      const f = fieldSql(n.source, n.alias, it.field, params)
      const e = it.cast ? `(${f.sql})::${it.cast}` : f.sql
      const name = outName(it)
      out.cols.push(`${e} as ${qi(name)}`)
      out.names.push(name)
    } else {
      const e = n.embeds[ei++]
      if (e.items.length === 0) continue
      const sub = embedSubquery(e, n.alias, params, aliases)
      if (e.spread) {
        const la = aliases.next('s')
        const inner = selectSql(e, params, aliases)
        const wrapped = e.rel.toOne
          ? `(select ${inner.names.map((x) => `_s.${qi(x)}`).join(', ')} from (${sub}) _s limit 1)`
          : `(select ${inner.names.map((x) => `coalesce(json_agg(_s.${qi(x)}), '[]') as ${qi(x)}`).join(', ')} from (${sub}) _s)`
        out.laterals.push(`left join lateral ${wrapped} ${la} on true`)
        for (const x of inner.names) {
          out.cols.push(`${la}.${qi(x)} as ${qi(x)}`)
          out.names.push(x)
        }
      } else {
        const agg = e.rel.toOne ? `(select row_to_json(_e) from (${sub}) _e)` : `(select coalesce(json_agg(_e), '[]') from (${sub}) _e)`
        out.cols.push(`${agg} as ${qi(e.outName)}`)
        out.names.push(e.outName)
      }
    }
  }
  return out
}

/** `select … from target where join and filters order limit` for an embed. */
function embedSubquery(e: Embed, parentAlias: string, params: Params, aliases: Aliases): string {
  const j = joinSql(e, e.alias, parentAlias, aliases.next('j'))
  const sel = selectSql(e, params, aliases)
  const where = [j.where, ...whereSql(e, params, aliases)].filter(Boolean)
  const order = orderSql(e, params, aliases)
  return `select ${sel.cols.join(', ')} from ${j.from} ${sel.laterals.join(' ')} where ${where.join(' and ')}` +
    (order ? ` order by ${order}` : '') + limitSql(params, e, e.limit, e.offset)
}

/**
 * ` limit $n offset $m` for the values given, as bigint parameters: the statement text
 * depends only on which of the two are present, never on their values, so each page of
 * a read reuses one prepared statement (and one compiled read). Each parameter is
 * recorded in `params.page` with its node, so a compiled read can take new values.
 */
export function limitSql(params: Params, node: Node | undefined, limit?: number, offset?: number): string {
  const bind = (kind: 'limit' | 'offset', v: number) => {
    const p = params.add(String(v))
    params.page.push({ index: params.values.length - 1, node, kind })
    return `${p}::bigint`
  }
  return (limit !== undefined ? ` limit ${bind('limit', limit)}` : '') + (offset !== undefined ? ` offset ${bind('offset', offset)}` : '')
}

export function orderSql(n: Node, params: Params, aliases: Aliases): string {
  return n.order.map((t) => {
    let e: string
    if (t.relation) {
      const emb = n.embeds.find((x) => x.outName === t.relation) ?? n.embeds.find((x) => x.name === t.relation)
      if (!emb) throw new ApiError(400, 'PGRST108', `'${t.relation}' is not an embedded resource in this request`, null, `Verify that '${t.relation}' is included in the 'select' query parameter.`)
      if (!emb.rel.toOne) {
        throw new ApiError(400, 'PGRST118', `A related order on '${t.relation}' is not possible`, `'${n.source.name}' and '${t.relation}' do not form a many-to-one or one-to-one relationship`)
      }
      const a = aliases.next('o')
      const j = joinSql(emb, a, n.alias, aliases.next('j'))
      const f = fieldSql(emb.source, a, t.field, params)
      e = `(select ${f.sql} from ${j.from} where ${j.where} limit 1)`
    } else {
      e = fieldSql(n.source, n.alias, t.field, params).sql
    }
    return `${e}${t.dir === 'desc' ? ' desc' : ' asc'}${t.nulls ? ` nulls ${t.nulls}` : ''}`
  }).join(', ')
}

export { tableSource }
