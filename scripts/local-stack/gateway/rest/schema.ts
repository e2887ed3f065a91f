/**
 * The REST schema cache: tables, views, columns, keys, foreign keys and
 * functions of the exposed schemas, read from pg_catalog. Reloaded on
 * `NOTIFY pgrst, 'reload schema'` as PostgREST does.
 */
import type { Sql } from '../context.ts'

export interface Column {
  name: string
  /** format_type() output: safe to splice into SQL (it quotes as needed). */
  type: string
  /** pg_type.typcategory: S string, N numeric, A array, U user (json…), … */
  category: string
  typname: string
  notNull: boolean
  hasDefault: boolean
}

export interface ForeignKey {
  name: string
  schema: string
  table: string
  columns: string[]
  refSchema: string
  refTable: string
  refColumns: string[]
}

export interface Table {
  schema: string
  name: string
  /** r table, p partitioned, v view, m matview, f foreign */
  kind: string
  columns: Map<string, Column>
  columnOrder: string[]
  pk: string[]
  uniques: string[][]
  /** Foreign keys whose source is this table. */
  fks: ForeignKey[]
}

export interface FnArg {
  name: string
  type: string
  /** i in, o out, b inout, v variadic, t table column */
  mode: string
  hasDefault: boolean
}

export interface Fn {
  schema: string
  name: string
  args: FnArg[]
  /** Input arguments only (i, b, v), in declaration order. */
  inArgs: FnArg[]
  retset: boolean
  volatility: 'i' | 's' | 'v'
  retType: string
  /** void | scalar | composite (row, possibly a table type) */
  retKind: 'void' | 'scalar' | 'composite'
  /** For composite returns: the columns of the row. */
  retColumns: Column[]
  /** For a table/view row type: that relation (gives relationships for embedding). */
  retTable?: { schema: string; name: string }
}

export interface SchemaCache {
  tables: Map<string, Table>
  fns: Map<string, Fn[]>
  /** Per-role settings (`alter role … set`), applied per request as PostgREST does. */
  roleSettings: Map<string, [string, string][]>
  loadedAt: number
}

export const key = (schema: string, name: string) => `${schema}\u0000${name}`

export async function loadSchema(sql: Sql, schemas: string[]): Promise<SchemaCache> {
  const rels = await sql<{ oid: string; schema: string; name: string; kind: string }[]>`
    select c.oid::int8::text as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas}) and c.relkind in ('r', 'v', 'm', 'f', 'p')`
  const cols = await sql<{ oid: string; attnum: number; name: string; type: string; category: string; typname: string; not_null: boolean; has_default: boolean }[]>`
    select a.attrelid::int8::text as oid, a.attnum::int as attnum, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
      t.typcategory::text as category, t.typname::text as typname, a.attnotnull as not_null,
      (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as has_default
    from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_type t on t.oid = a.atttypid
    where n.nspname = any(${schemas}) and c.relkind in ('r', 'v', 'm', 'f', 'p', 'c')
      and a.attnum > 0 and not a.attisdropped
    order by a.attrelid, a.attnum`
  const idx = await sql<{ oid: string; primary: boolean; cols: string[] }[]>`
    select i.indrelid::int8::text as oid, i.indisprimary as primary,
      array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(n, o)
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o) as cols
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas}) and i.indisunique and i.indpred is null and i.indexprs is null`
  const fks = await sql<{ name: string; schema: string; table: string; cols: string[]; ref_schema: string; ref_table: string; ref_cols: string[] }[]>`
    select con.conname::text as name, n.nspname::text as schema, c.relname::text as table,
      array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o)
            join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o) as cols,
      fn.nspname::text as ref_schema, fc.relname::text as ref_table,
      array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o)
            join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o) as ref_cols
    from pg_constraint con
      join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class fc on fc.oid = con.confrelid join pg_namespace fn on fn.oid = fc.relnamespace
    where con.contype = 'f' and n.nspname = any(${schemas}) and fn.nspname = any(${schemas})`
  const fns = await sql<{
    schema: string; name: string; retset: boolean; volatility: 'i' | 's' | 'v'; ret_type: string; typtype: string
    typrelid: string; ret_rel_schema: string | null; ret_rel_name: string | null; ret_rel_kind: string | null
    ndefaults: number; args: { name: string; type: string; mode: string }[]
  }[]>`
    select n.nspname::text as schema, p.proname::text as name, p.proretset as retset, p.provolatile::text as volatility,
      format_type(p.prorettype, null) as ret_type, t.typtype::text as typtype, t.typrelid::int8::text as typrelid,
      rn.nspname::text as ret_rel_schema, rc.relname::text as ret_rel_name, rc.relkind::text as ret_rel_kind,
      p.pronargdefaults::int as ndefaults,
      coalesce((
        select json_agg(json_build_object(
          'name', coalesce(p.proargnames[i], ''),
          'type', format_type(at.ty[i], null),
          'mode', coalesce(p.proargmodes[i]::text, 'i')) order by i)
        from (select coalesce(p.proallargtypes, string_to_array(nullif(p.proargtypes::text, ''), ' ')::oid[]) as ty) at,
             generate_subscripts(at.ty, 1) i
      ), '[]'::json) as args
    from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_type t on t.oid = p.prorettype
      left join pg_class rc on rc.oid = t.typrelid
      left join pg_namespace rn on rn.oid = rc.relnamespace
    where n.nspname = any(${schemas}) and p.prokind = 'f' and t.typname <> 'trigger'`
  const compCols = await sql<{ oid: string; name: string; type: string; category: string; typname: string }[]>`
    select a.attrelid::int8::text as oid, a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type,
      t.typcategory::text as category, t.typname::text as typname
    from pg_attribute a join pg_type t on t.oid = a.atttypid
    where a.attrelid in (select t2.typrelid from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         join pg_type t2 on t2.oid = p.prorettype where n.nspname = any(${schemas}) and t2.typrelid <> 0)
      and a.attnum > 0 and not a.attisdropped
    order by a.attrelid, a.attnum`
  // Where each view column comes from (the `resorigtbl`/`resorigcol` of the view's
  // target list, as PostgREST reads them), so views inherit their base tables' keys.
  const viewCols = await sql<{ view_oid: string; resno: number; resname: string; orig_oid: string; orig_col: number }[]>`
    select c.oid::int8::text as view_oid, m[1]::int as resno, m[2] as resname, m[3]::int8::text as orig_oid, m[4]::int as orig_col
    from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
      cross join lateral regexp_matches(r.ev_action::text,
        ':resno (\\d+) :resname (\\S+) :ressortgroupref \\d+ :resorigtbl (\\d+) :resorigcol (\\d+)', 'g') m
    where n.nspname = any(${schemas}) and c.relkind in ('v', 'm')`
  const roleRows = await sql<{ role: string; setting: string }[]>`
    select r.rolname::text as role, unnest(s.setconfig) as setting
    from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
    where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
    order by s.setdatabase`

  const byOid = new Map<string, Table>()
  const tables = new Map<string, Table>()
  for (const r of rels) {
    const t: Table = { schema: r.schema, name: r.name, kind: r.kind, columns: new Map(), columnOrder: [], pk: [], uniques: [], fks: [] }
    byOid.set(r.oid, t)
    tables.set(key(r.schema, r.name), t)
  }
  const attnames = new Map<string, string>() // oid \0 attnum -> column name
  for (const c of cols) {
    const t = byOid.get(c.oid)
    if (!t) continue
    attnames.set(`${c.oid}\u0000${c.attnum}`, c.name)
    t.columns.set(c.name, { name: c.name, type: c.type, category: c.category, typname: c.typname, notNull: c.not_null, hasDefault: c.has_default })
    t.columnOrder.push(c.name)
  }
  for (const i of idx) {
    const t = byOid.get(i.oid)
    if (!t) continue
    if (i.primary) t.pk = i.cols
    t.uniques.push(i.cols)
  }
  for (const f of fks) {
    const t = tables.get(key(f.schema, f.table))
    if (!t) continue
    t.fks.push({ name: f.name, schema: f.schema, table: f.table, columns: f.cols, refSchema: f.ref_schema, refTable: f.ref_table, refColumns: f.ref_cols })
  }
  inferViewKeys(byOid, attnames, viewCols)
  const comp = new Map<string, Column[]>()
  for (const c of compCols) {
    const list = comp.get(c.oid) ?? []
    list.push({ name: c.name, type: c.type, category: c.category, typname: c.typname, notNull: false, hasDefault: false })
    comp.set(c.oid, list)
  }
  const fnMap = new Map<string, Fn[]>()
  for (const f of fns) {
    const inArgs0 = f.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v')
    const inArgs = inArgs0.map((a, i) => ({ ...a, hasDefault: i >= inArgs0.length - f.ndefaults }))
    const outArgs = f.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't')
    let retKind: Fn['retKind'] = 'scalar'
    let retColumns: Column[] = []
    let retTable: Fn['retTable']
    if (f.ret_type === 'void') retKind = 'void'
    else if (f.typtype === 'c') {
      retKind = 'composite'
      retColumns = comp.get(f.typrelid) ?? []
      if (f.ret_rel_kind && f.ret_rel_kind !== 'c' && f.ret_rel_schema && f.ret_rel_name) {
        retTable = { schema: f.ret_rel_schema, name: f.ret_rel_name }
      }
    } else if (f.ret_type === 'record' && outArgs.length) {
      retKind = 'composite'
      retColumns = outArgs.map((a) => ({ name: a.name, type: a.type, category: '', typname: a.type, notNull: false, hasDefault: false }))
    }
    const fn: Fn = {
      schema: f.schema, name: f.name, args: f.args.map((a) => ({ ...a, hasDefault: false })), inArgs,
      retset: f.retset, volatility: f.volatility, retType: f.ret_type, retKind, retColumns, retTable,
    }
    const k = key(f.schema, f.name)
    fnMap.set(k, [...(fnMap.get(k) ?? []), fn])
  }
  const roleSettings = new Map<string, [string, string][]>()
  for (const r of roleRows) {
    const eq = r.setting.indexOf('=')
    if (eq < 0) continue
    const list = roleSettings.get(r.role) ?? []
    list.push([r.setting.slice(0, eq), r.setting.slice(eq + 1)])
    roleSettings.set(r.role, list)
  }
  return { tables, fns: fnMap, roleSettings, loadedAt: Date.now() }
}

/**
 * Views get the relationships of the tables they expose (contract §1.3: "views
 * infer FKs from their base tables"), as PostgREST does: a foreign key of a
 * base table whose columns a view exposes (under any names) becomes a foreign
 * key of the view, and a foreign key pointing at exposed columns also points at
 * the view — table→view, view→table and view→view. A view over a single table
 * also inherits that table's primary key and unique keys when it exposes them,
 * so one-to-one and many-to-many detection work through it.
 */
function inferViewKeys(
  byOid: Map<string, Table>, attnames: Map<string, string>,
  viewCols: { view_oid: string; resno: number; resname: string; orig_oid: string; orig_col: number }[],
): void {
  // view oid -> view column -> origin "oid\0column" (only unambiguous origins)
  const origins = new Map<string, Map<string, string | null>>()
  for (const r of viewCols) {
    const view = byOid.get(r.view_oid)
    if (!view || r.orig_oid === '0' || r.orig_col <= 0) continue
    // Only the view's own output columns (nested target lists of subqueries are skipped).
    if (attnames.get(`${r.view_oid}\u0000${r.resno}`) !== r.resname) continue
    const base = attnames.get(`${r.orig_oid}\u0000${r.orig_col}`)
    if (!base || !byOid.has(r.orig_oid)) continue
    const m = origins.get(r.view_oid) ?? new Map<string, string | null>()
    origins.set(r.view_oid, m)
    const o = `${r.orig_oid}\u0000${base}`
    m.set(r.resname, m.has(r.resname) && m.get(r.resname) !== o ? null : o)
  }
  // base table oid -> list of { view, base column -> view column }
  const exposures = new Map<string, { view: Table; map: Map<string, string> }[]>()
  for (const [viewOid, m] of origins) {
    const view = byOid.get(viewOid)!
    const perBase = new Map<string, Map<string, string>>()
    for (const [viewCol, o] of m) {
      if (!o) continue
      const [baseOid, baseCol] = o.split('\u0000') as [string, string]
      const map = perBase.get(baseOid) ?? new Map<string, string>()
      if (!map.has(baseCol)) map.set(baseCol, viewCol)
      perBase.set(baseOid, map)
    }
    for (const [baseOid, map] of perBase) {
      const list = exposures.get(baseOid) ?? []
      list.push({ view, map })
      exposures.set(baseOid, list)
      if (perBase.size === 1) {
        const base = byOid.get(baseOid)!
        const mapped = (cs: string[]) => (cs.every((c) => map.has(c)) ? cs.map((c) => map.get(c)!) : undefined)
        const pk = mapped(base.pk)
        if (pk && pk.length && !view.pk.length) view.pk = pk
        for (const u of base.uniques) {
          const mu = mapped(u)
          if (mu) view.uniques.push(mu)
        }
      }
    }
  }
  if (!exposures.size) return
  const oidOf = new Map<Table, string>()
  for (const [oid, t] of byOid) oidOf.set(t, oid)
  const reps = (t: Table, cols: string[]) => {
    const out: { t: Table; cols: string[] }[] = [{ t, cols }]
    for (const { view, map } of exposures.get(oidOf.get(t) ?? '') ?? []) {
      if (cols.every((c) => map.has(c))) out.push({ t: view, cols: cols.map((c) => map.get(c)!) })
    }
    return out
  }
  const baseFks = [...byOid.values()].flatMap((t) => t.fks.map((fk) => ({ t, fk })))
  const byName = new Map<string, Table>()
  for (const t of byOid.values()) byName.set(`${t.schema}\u0000${t.name}`, t)
  for (const { t, fk } of baseFks) {
    const target = byName.get(`${fk.refSchema}\u0000${fk.refTable}`)
    if (!target) continue
    for (const src of reps(t, fk.columns)) {
      for (const dst of reps(target, fk.refColumns)) {
        if (src.t === t && dst.t === target) continue
        src.t.fks.push({
          name: fk.name, schema: src.t.schema, table: src.t.name, columns: src.cols,
          refSchema: dst.t.schema, refTable: dst.t.name, refColumns: dst.cols,
        })
      }
    }
  }
}

/** Holds the cache, loads it lazily, reloads on NOTIFY pgrst. */
export class SchemaStore {
  private current?: Promise<SchemaCache>
  private unlisten?: () => Promise<void>
  private listening?: Promise<void>

  constructor(
    private admin: Sql,
    private schemas: string[],
    private log: (e: Record<string, unknown>) => void,
  ) {}

  get(): Promise<SchemaCache> {
    if (!this.listening) this.listening = this.listen()
    if (!this.current) {
      this.current = loadSchema(this.admin, this.schemas)
      this.current.catch(() => (this.current = undefined))
    }
    return this.current
  }

  /** Reloads now; concurrent callers share one load. */
  reload(): Promise<SchemaCache> {
    const next = loadSchema(this.admin, this.schemas)
    this.current = next
    next.catch(() => {
      if (this.current === next) this.current = undefined
    })
    return next
  }

  private async listen(): Promise<void> {
    let first = true
    try {
      const sub = await this.admin.listen('pgrst', (payload) => {
        const p = payload.trim().toLowerCase()
        if (p === '' || p === 'reload schema') {
          this.reload().catch((e) => this.log({ level: 'error', service: 'rest', message: 'schema reload failed', error: String(e) }))
        }
      }, () => {
        // Re-connected after a drop: notifications may have been missed.
        if (first) first = false
        else void this.reload().catch(() => {})
      })
      this.unlisten = sub.unlisten
    } catch (e) {
      this.log({ level: 'error', service: 'rest', message: 'LISTEN pgrst failed', error: String(e) })
    }
  }

  async close(): Promise<void> {
    await this.listening
    await this.unlisten?.().catch(() => {})
  }
}
