/**
 * postgres_changes delivery: turns replicated transactions into per-channel
 * pushes. For each batch of changes it
 *   1. finds the bindings whose event/schema/table match,
 *   2. converts WAL text values to typed JSON (Postgres does it: to_jsonb of the row type),
 *   3. applies the bindings' filters,
 *   4. checks RLS once per relation and distinct claims for INSERT/UPDATE
 *      (`realtime.visible_keys`: the subscriber's role and `request.jwt.claims`,
 *      a SELECT by primary key), and
 *   5. keeps only the columns each role may SELECT.
 * DELETE events are not RLS-checked (Supabase cannot either); with RLS on,
 * their old record is reduced to the primary key.
 */
import type { Sql } from '../context.ts'
import { matches, type FilterItem } from './filters.ts'
import type { Relation, WalChange, WalTransaction, WalValue } from './replication.ts'

export interface Claims {
  role: string
  sub?: string
  exp?: number
  [k: string]: unknown
}

export interface Binding {
  id: number
  event: string // '*', INSERT, UPDATE, DELETE (upper case)
  schema: string // or '*'
  table?: string
  filter: FilterItem[]
  /** Changes committed before this instant (ms) are not delivered. */
  since: number
}

/** What the dispatcher needs from a joined channel. */
export interface ChangeSubscriber {
  claims: Claims
  claimsKey: string
  bindings: Binding[]
  /** Sends `{ids, data}` where `data` is already JSON text. */
  pushChange(ids: number[], dataJson: string): void
}

interface RelMeta {
  pk: string[]
  rls: boolean
}

const JSON_OIDS = new Set([114, 3802])
const MAX_RECORD_BYTES = 1024 * 1024

function eventMatches(b: Binding, type: string): boolean {
  return b.event === '*' || b.event === type
}

function tableMatches(b: Binding, rel: Relation): boolean {
  return (b.schema === '*' || b.schema === rel.schema) && (!b.table || b.table === '*' || b.table === rel.table)
}

/** WAL text values as an object for jsonb_populate_record (json/jsonb parsed so they stay JSON). */
function textRow(rel: Relation, values: WalValue[], only?: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  rel.columns.forEach((c, i) => {
    const v = values[i]
    if (v === undefined) return
    if (only && !only.has(c.name)) return
    if (v !== null && JSON_OIDS.has(c.typeOid)) {
      try {
        out[c.name] = JSON.parse(v)
        return
      } catch {
        /* fall through: keep the text */
      }
    }
    out[c.name] = v
  })
  return out
}

function pick(rec: Record<string, unknown>, keys: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of keys) if (k in rec) out[k] = rec[k]
  return out
}

interface Work {
  change: WalChange
  commitTime: Date
  record?: Record<string, unknown>
  oldRecord?: Record<string, unknown>
  /** Present-column names (unchanged TOAST values are absent). */
  newCols?: Set<string>
  oldCols?: Set<string>
  targets: { sub: ChangeSubscriber; bindings: Binding[] }[]
}

export class ChangeDispatcher {
  private queue: WalTransaction[] = []
  private running = false
  private typeNames = new Map<number, string>()
  private columnCache = new Map<string, { at: number; cols: Set<string> }>()
  /** Delivered pushes (for logs and the bench). */
  delivered = 0

  constructor(
    private readonly admin: Sql,
    private readonly subscribers: () => Iterable<ChangeSubscriber>,
    private readonly log: (e: Record<string, unknown>) => void,
  ) {}

  enqueue(tx: WalTransaction): void {
    this.queue.push(tx)
    if (!this.running) void this.drain()
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length) {
        // Everything that arrived while the previous batch was processed goes in one batch.
        const batch = this.queue.splice(0, this.queue.length)
        try {
          await this.process(batch)
        } catch (e) {
          this.log({ level: 'error', service: 'realtime', message: 'postgres_changes batch failed', error: String((e as Error).stack ?? e) })
        }
      }
    } finally {
      this.running = false
    }
  }

  private async process(batch: WalTransaction[]): Promise<void> {
    const subs = [...this.subscribers()].filter((s) => s.bindings.length)
    if (!subs.length) return
    const works: Work[] = []
    for (const tx of batch) {
      const at = tx.commitTime.getTime()
      for (const change of tx.changes) {
        const targets: Work['targets'] = []
        for (const sub of subs) {
          const bs = sub.bindings.filter((b) => at >= b.since && eventMatches(b, change.type) && tableMatches(b, change.relation))
          if (bs.length) targets.push({ sub, bindings: bs })
        }
        if (targets.length) works.push({ change, commitTime: tx.commitTime, targets })
      }
    }
    if (!works.length) return

    const byRel = new Map<number, Work[]>()
    for (const w of works) {
      const list = byRel.get(w.change.relation.id) ?? []
      list.push(w)
      byRel.set(w.change.relation.id, list)
    }
    const metas = new Map<number, RelMeta>()
    await Promise.all(
      [...byRel.entries()].map(async ([relid, list]) => {
        const rel = list[list.length - 1]!.change.relation
        metas.set(relid, await this.relMeta(relid))
        await this.ensureTypeNames(rel)
        await this.typeRecords(relid, list)
      }),
    )

    // RLS: one visible_keys call per relation over every distinct claims that still has a target.
    const visible = new Map<Work, Set<string>>() // claimsKey set per work that passed RLS
    await Promise.all(
      [...byRel.entries()].map(async ([relid, list]) => {
        const meta = metas.get(relid)!
        const checks = list.filter((w) => w.change.type !== 'DELETE')
        if (!checks.length || !meta.pk.length) return
        if (!meta.rls) {
          // Without RLS only column privileges apply (Supabase's apply_rls skips the check too).
          for (const w of checks) visible.set(w, new Set(w.targets.map((t) => t.sub.claimsKey)))
          return
        }
        const keysOf = (w: Work) => meta.pk.map((c) => (w.record![c] === null || w.record![c] === undefined ? null : textOf(w.change, c)))
        // Per distinct claims, only the keys of the changes that claims' channels wait for.
        const checksByClaims = new Map<string, { claims: Claims; keys: (string | null)[][] }>()
        for (const w of checks) {
          w.targets = w.targets.filter((t) => t.bindings.some((b) => matches(b.filter, w.record!)))
          let key: (string | null)[] | undefined
          for (const t of w.targets) {
            if (t.sub.claims.role === 'service_role') continue
            let entry = checksByClaims.get(t.sub.claimsKey)
            if (!entry) checksByClaims.set(t.sub.claimsKey, (entry = { claims: t.sub.claims, keys: [] }))
            key ??= keysOf(w)
            if (entry.keys[entry.keys.length - 1] !== key) entry.keys.push(key)
          }
        }
        const claimList = [...checksByClaims.entries()]
        const visibleByClaims = new Map<string, Set<string>>()
        if (claimList.length) {
          // One statement is one transaction: the role and claims set inside are reset with it.
          const rows = await this.admin`select claims_index, keys from realtime.visible_keys(${relid}::oid::regclass, ${this.admin.json(claimList.map(([, c]) => c) as never)})`
          for (const r of rows) {
            const ks = new Set<string>((r.keys as unknown[][]).map((k) => JSON.stringify(k)))
            visibleByClaims.set(claimList[r.claims_index as number]![0], ks)
          }
        }
        for (const w of checks) {
          const k = JSON.stringify(keysOf(w))
          const ok = new Set<string>()
          for (const t of w.targets) {
            if (t.sub.claims.role === 'service_role' || visibleByClaims.get(t.sub.claimsKey)?.has(k)) ok.add(t.sub.claimsKey)
          }
          visible.set(w, ok)
        }
      }),
    )

    // Column privileges per role and relation.
    const roleRel = new Set<string>()
    for (const w of works) for (const t of w.targets) roleRel.add(`${t.sub.claims.role}\u0000${w.change.relation.id}`)
    await Promise.all([...roleRel].map((k) => this.columns(k)))

    for (const w of works) {
      const rel = w.change.relation
      const meta = metas.get(rel.id)!
      const type = w.change.type
      const commit = w.commitTime.toISOString()
      const cache = new Map<string, string>() // role -> data JSON
      for (const t of w.targets) {
        let ids: number[]
        if (type === 'DELETE') {
          ids = t.bindings.filter((b) => matches(b.filter, w.oldRecord ?? {})).map((b) => b.id)
        } else {
          if (!meta.pk.length) {
            ids = t.bindings.filter((b) => matches(b.filter, w.record!)).map((b) => b.id)
          } else {
            if (!visible.get(w)?.has(t.sub.claimsKey)) continue
            ids = t.bindings.filter((b) => matches(b.filter, w.record!)).map((b) => b.id)
          }
        }
        if (!ids.length) continue
        const role = t.sub.claims.role
        let data = cache.get(role)
        if (data === undefined) {
          data = this.payload(w, meta, this.columnCache.get(`${role}\u0000${rel.id}`)?.cols ?? new Set(), commit)
          cache.set(role, data)
        }
        t.sub.pushChange([...new Set(ids)], data)
        this.delivered++
      }
    }
  }

  private payload(w: Work, meta: RelMeta, allowed: Set<string>, commit: string): string {
    const rel = w.change.relation
    const type = w.change.type
    const errors: string[] = []
    const columns = rel.columns.filter((c) => allowed.has(c.name)).map((c) => ({ name: c.name, type: this.typeNames.get(c.typeOid) ?? String(c.typeOid) }))
    const data: Record<string, unknown> = { schema: rel.schema, table: rel.table, commit_timestamp: commit, type, columns }
    if (!meta.pk.length) errors.push('Error 400: Bad Request, no primary key')
    else if (!meta.pk.every((c) => allowed.has(c))) errors.push('Error 401: Unauthorized')
    const colNames = columns.map((c) => c.name)
    if (type !== 'DELETE') {
      let record = errors.length ? {} : pick(w.record!, colNames)
      if (JSON.stringify(record).length > MAX_RECORD_BYTES) {
        record = Object.fromEntries(Object.entries(record).filter(([, v]) => JSON.stringify(v).length <= 64))
        errors.push('Error 413: Payload Too Large')
      }
      data.record = record
    }
    if (type !== 'INSERT') {
      const base = w.oldRecord ?? {}
      const keys = meta.rls ? meta.pk : colNames
      data.old_record = errors.length && !meta.pk.length ? {} : pick(base, keys.filter((k) => allowed.has(k)))
    }
    data.errors = errors.length ? errors : null
    return JSON.stringify(data)
  }

  /** Typed `record`/`old_record` for every work of one relation, in one round trip. */
  private async typeRecords(relid: number, list: Work[]): Promise<void> {
    const inputs: Record<string, unknown>[] = []
    const slots: [Work, 'record' | 'oldRecord', Set<string>][] = []
    for (const w of list) {
      const c = w.change
      const rel = c.relation
      if (c.new) {
        const row = textRow(rel, c.new)
        inputs.push(row)
        slots.push([w, 'record', new Set(Object.keys(row))])
      }
      if (c.type !== 'INSERT') {
        let row: Record<string, unknown>
        if (c.old) {
          // A key-only old tuple carries the identity columns; the rest are placeholders.
          const keyCols = c.oldIsKeyOnly ? new Set(rel.columns.filter((col) => col.key).map((col) => col.name)) : undefined
          row = textRow(rel, c.old, keyCols)
        } else {
          // UPDATE with the default identity and an unchanged key: the key is the new row's.
          const keyCols = new Set(rel.columns.filter((col) => col.key).map((col) => col.name))
          row = textRow(rel, c.new ?? [], keyCols)
        }
        inputs.push(row)
        slots.push([w, 'oldRecord', new Set(Object.keys(row))])
      }
    }
    let typed: Record<string, unknown>[]
    try {
      const [r] = await this.admin<{ rows: unknown }[]>`select realtime.typed_records(${relid}::oid::regclass, ${this.admin.json(inputs as never)}) as rows`
      typed = r!.rows as Record<string, unknown>[]
    } catch (e) {
      // The table changed under us (dropped, altered): fall back to the text values.
      this.log({ level: 'warn', service: 'realtime', message: 'typed_records failed, sending text values', error: String((e as Error).message) })
      typed = inputs
    }
    slots.forEach(([w, field, present], i) => {
      w[field] = pick(typed[i] ?? {}, present)
    })
  }

  private async relMeta(relid: number): Promise<RelMeta> {
    const [r] = await this.admin`
      select c.relrowsecurity as rls,
             coalesce((select array_agg(a.attname::text order by k.ord)
                         from pg_index ix
                         cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
                         join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum
                        where ix.indrelid = c.oid and ix.indisprimary), '{}') as pk
        from pg_class c where c.oid = ${relid}`
    return r ? { pk: r.pk as string[], rls: r.rls as boolean } : { pk: [], rls: true }
  }

  private async ensureTypeNames(rel: Relation): Promise<void> {
    const missing = rel.columns.map((c) => c.typeOid).filter((o) => !this.typeNames.has(o))
    if (!missing.length) return
    const rows = await this.admin`select oid::int as oid, typname::text as name from pg_type where oid = any(${missing}::oid[])`
    for (const r of rows) this.typeNames.set(r.oid as number, r.name as string)
  }

  /** Columns a role may SELECT on a relation, cached for a second (grants change rarely). */
  private async columns(key: string): Promise<void> {
    const hit = this.columnCache.get(key)
    if (hit && Date.now() - hit.at < 1000) return
    const [role, relid] = key.split('\u0000')
    let cols = new Set<string>()
    try {
      const rows = await this.admin`
        select a.attname::text as name from pg_attribute a
         where a.attrelid = ${Number(relid)}::oid and a.attnum > 0 and not a.attisdropped
           and exists (select 1 from pg_roles where rolname = ${role ?? ''})
           and has_column_privilege(${role ?? ''}::text, a.attrelid, a.attnum, 'SELECT')`
      cols = new Set(rows.map((r) => r.name as string))
    } catch {
      cols = new Set()
    }
    this.columnCache.set(key, { at: Date.now(), cols })
  }
}

/** The WAL text of a column of the change's new tuple (what visible_keys casts back). */
function textOf(change: WalChange, column: string): string | null {
  const i = change.relation.columns.findIndex((c) => c.name === column)
  const v = change.new?.[i]
  return v === undefined ? null : v
}
