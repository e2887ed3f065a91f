/**
 * postgres_changes delivery: turns replicated transactions into per-channel
 * pushes. For each batch of changes it
 *   1. finds the bindings whose event/schema/table match,
 *   2. converts WAL text values to typed JSON (Postgres does it: to_jsonb of the row type),
 *   3. applies the bindings' filters,
 *   4. checks RLS once per relation and distinct claims for INSERT/UPDATE
 *      (what `realtime.visible_keys` does: the subscriber's role and
 *      `request.jwt.claims`, a SELECT by primary key — here as prepared
 *      statements pipelined in one transaction, so a batch costs one round
 *      trip and no re-planning per subscriber), and
 *   5. keeps only the columns each role may SELECT.
 * DELETE events are not RLS-checked (Supabase cannot either); with RLS on,
 * their old record is reduced to the primary key.
 */
import { dbFailure, settleOrLose, type Sql } from '../context.ts'
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
  /** The RLS check statement for this relation (see checkRls). */
  checkSql: string
}

const JSON_OIDS = new Set([114, 3802])
/** A batch held by an unreachable database is retried every 250 ms for up to a minute. */
const MAX_BATCH_ATTEMPTS = 240
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
  cands: Candidates
  /** Subscribers whose bindings match, with the ids of those bindings. */
  targets: { sub: ChangeSubscriber; ids: number[] }[]
}

interface Candidate {
  sub: ChangeSubscriber
  binding: Binding
}

/** The bindings of one relation and event type: indexed by an `eq` filter value, or to scan. */
interface Candidates {
  /** column → value key → bindings with `column=eq.value` among their filters */
  index: Map<string, Map<string, Candidate[]>>
  scan: Candidate[]
  roles: Set<string>
}

/**
 * The index keys of an `eq` filter value: every textual form a typed value
 * equal to it (as filters.ts compares) has under lookupKey(). The index only
 * narrows the bindings; the full filter is still evaluated.
 */
function eqKeys(v: string): string[] {
  const keys = [v]
  const n = Number(v)
  if (!Number.isNaN(n)) keys.push(String(n))
  if (/^(t|true|1|yes|on)$/i.test(v)) keys.push('true')
  if (/^(f|false|0|no|off)$/i.test(v)) keys.push('false')
  return keys
}

function lookupKey(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

export class ChangeDispatcher {
  private queue: WalTransaction[] = []
  private running = false
  private typeNames = new Map<number, string>()
  private columnCache = new Map<string, { at: number; cols: Set<string> }>()
  /** Delivered pushes (for logs and the bench). */
  delivered = 0

  /**
   * `db` is a superuser pool of one connection reserved for this work (it must `set role`);
   * `afterFanOut` runs once the pushes of a batch are queued (the sockets
   * uncork there, so each socket gets one write per batch).
   */
  constructor(
    private readonly db: Sql,
    private readonly subscribers: () => Iterable<ChangeSubscriber>,
    private readonly log: (e: Record<string, unknown>) => void,
    private readonly afterFanOut: () => void = () => {},
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
        // Pushes happen only after every database step of the batch succeeded, so a batch
        // whose connection was lost (Postgres restarting) is simply processed again once
        // the database answers: the changes committed just before an outage still arrive.
        for (let attempt = 1; ; attempt++) {
          try {
            await this.process(batch)
            break
          } catch (e) {
            if (dbFailure(e) && attempt < MAX_BATCH_ATTEMPTS) {
              if (attempt === 1) this.log({ level: 'warn', service: 'realtime', message: 'database unreachable, postgres_changes batch held', error: String((e as Error).message ?? e) })
              await new Promise((r) => setTimeout(r, 250))
              continue
            }
            this.log({ level: 'error', service: 'realtime', message: 'postgres_changes batch failed', error: String((e as Error).stack ?? e) })
            break
          } finally {
            this.afterFanOut()
          }
        }
      }
    } finally {
      this.running = false
    }
  }

  private async process(batch: WalTransaction[]): Promise<void> {
    const subs = [...this.subscribers()].filter((s) => s.bindings.length)
    if (!subs.length) return
    // Bindings per relation and event type, indexed by their `eq` filters, built once per batch:
    // a change then meets only the bindings that can match it, not every subscriber.
    const candidates = new Map<string, Candidates | null>()
    const candidatesFor = (rel: Relation, type: string) => {
      const k = `${rel.id}\u0000${type}`
      let c = candidates.get(k)
      if (c === undefined) {
        c = null
        for (const sub of subs) {
          for (const b of sub.bindings) {
            if (!eventMatches(b, type) || !tableMatches(b, rel)) continue
            c ??= { index: new Map(), scan: [], roles: new Set() }
            c.roles.add(sub.claims.role)
            const eq = b.filter.find((f) => f.op === 'eq' && !f.negate)
            if (!eq) {
              c.scan.push({ sub, binding: b })
              continue
            }
            let byValue = c.index.get(eq.column)
            if (!byValue) c.index.set(eq.column, (byValue = new Map()))
            for (const key of eqKeys(eq.values[0] ?? '')) {
              const list = byValue.get(key) ?? []
              list.push({ sub, binding: b })
              byValue.set(key, list)
            }
          }
        }
        candidates.set(k, c)
      }
      return c
    }
    const works: Work[] = []
    for (const tx of batch) {
      for (const change of tx.changes) {
        const cands = candidatesFor(change.relation, change.type)
        if (cands) works.push({ change, commitTime: tx.commitTime, cands, targets: [] })
      }
    }
    if (!works.length) return

    const byRel = new Map<number, Work[]>()
    for (const w of works) {
      const list = byRel.get(w.change.relation.id) ?? []
      list.push(w)
      byRel.set(w.change.relation.id, list)
    }

    // Round trip 1 (pipelined on one connection): keys and RLS flag of each relation,
    // typed records for rows Node cannot type itself, type names, column privileges.
    // `db` is a pool of one connection used by this dispatcher alone, one batch at a time:
    // statements sent in order share that connection, so the pipelined transaction of the
    // RLS check needs no reservation. (A postgres.js reservation whose connect fails stays
    // queued in the pool and later swallows the reconnected connection: a one-connection
    // pool would be dead after Postgres restarts.) If the connection dies mid-batch, the
    // batch fails on that error and its remaining statements' results are never used.
    const conn = this.db
    const metas = new Map<number, RelMeta>()
    const pending: Promise<unknown>[] = []
    for (const [relid, list] of byRel) {
      const rel = list[list.length - 1]!.change.relation
      pending.push(this.relMeta(conn, relid).then((m) => void metas.set(relid, m)))
      pending.push(this.ensureTypeNames(conn, rel))
      pending.push(this.typeRecords(conn, relid, list))
      const roles = new Set<string>()
      for (const w of list) for (const r of w.cands.roles) roles.add(r)
      for (const r of roles) pending.push(this.columns(conn, `${r}\u0000${relid}`))
    }
    await Promise.all(pending)

    // Targets: the bindings whose filters match the typed row (the old row for DELETE),
    // made before the commit; ids grouped per subscriber.
    for (const w of works) {
      const row = w.change.type === 'DELETE' ? w.oldRecord ?? {} : w.record!
      const at = w.commitTime.getTime()
      const bySub = new Map<ChangeSubscriber, number[]>()
      const consider = (e: Candidate) => {
        if (at < e.binding.since || !matches(e.binding.filter, row)) return
        const ids = bySub.get(e.sub)
        if (!ids) bySub.set(e.sub, [e.binding.id])
        else if (!ids.includes(e.binding.id)) ids.push(e.binding.id)
      }
      for (const [col, byValue] of w.cands.index) {
        if (!(col in row) || row[col] === null) continue
        for (const e of byValue.get(lookupKey(row[col])) ?? []) consider(e)
      }
      for (const e of w.cands.scan) consider(e)
      for (const [sub, ids] of bySub) w.targets.push({ sub, ids })
    }

    // Round trip 2: RLS, one check per relation and distinct claims, all pipelined in one transaction.
    const visible = new Map<Work, Set<string>>() // claimsKey set per work that passed RLS
    const jobs: { relid: number; meta: RelMeta; claims: Claims; claimsKey: string; keys: (string | null)[][] }[] = []
    const keyFns = new Map<number, (w: Work) => (string | null)[]>()
    for (const [relid, list] of byRel) {
      const meta = metas.get(relid)!
      const checks = list.filter((w) => w.change.type !== 'DELETE' && w.targets.length)
      if (!checks.length || !meta.pk.length) continue
      if (!meta.rls) {
        // Without RLS only column privileges apply (Supabase's apply_rls skips the check too).
        for (const w of checks) visible.set(w, new Set(w.targets.map((t) => t.sub.claimsKey)))
        continue
      }
      const rel = list[0]!.change.relation
      const idx = meta.pk.map((c) => rel.columns.findIndex((x) => x.name === c))
      // The key as WAL text, in PK column order (what the check casts back).
      const keysOf = (w: Work) => idx.map((i) => (i < 0 ? null : w.change.new?.[i] ?? null))
      keyFns.set(relid, keysOf)
      // Per distinct claims, only the keys of the changes that claims' channels wait for.
      const byClaims = new Map<string, { claims: Claims; keys: (string | null)[][] }>()
      for (const w of checks) {
        let key: (string | null)[] | undefined
        for (const t of w.targets) {
          if (t.sub.claims.role === 'service_role') continue
          let entry = byClaims.get(t.sub.claimsKey)
          if (!entry) byClaims.set(t.sub.claimsKey, (entry = { claims: t.sub.claims, keys: [] }))
          key ??= keysOf(w)
          if (entry.keys[entry.keys.length - 1] !== key) entry.keys.push(key)
        }
      }
      for (const [claimsKey, e] of byClaims) jobs.push({ relid, meta, claims: e.claims, claimsKey, keys: e.keys })
    }
    const visibleKeys = await this.checkRls(conn, jobs)
    for (const [relid, list] of byRel) {
      const keysOf = keyFns.get(relid)
      if (!keysOf) continue
      for (const w of list) {
        if (w.change.type === 'DELETE') continue
        const k = JSON.stringify(keysOf(w))
        const ok = new Set<string>()
        for (const t of w.targets) {
          if (t.sub.claims.role === 'service_role' || visibleKeys.get(`${relid}\u0000${t.sub.claimsKey}`)?.has(k)) ok.add(t.sub.claimsKey)
        }
        visible.set(w, ok)
      }
    }

    for (const w of works) {
      const rel = w.change.relation
      const meta = metas.get(rel.id)!
      const type = w.change.type
      const commit = w.commitTime.toISOString()
      const cache = new Map<string, string>() // role -> data JSON, serialised once for every subscriber of that role
      for (const t of w.targets) {
        const ids = t.ids
        if (type !== 'DELETE' && meta.pk.length && !visible.get(w)?.has(t.sub.claimsKey)) continue
        const role = t.sub.claims.role
        let data = cache.get(role)
        if (data === undefined) {
          data = this.payload(w, meta, this.columnCache.get(`${role}\u0000${rel.id}`)?.cols ?? new Set(), commit)
          cache.set(role, data)
        }
        t.sub.pushChange(ids, data)
        this.delivered++
      }
    }
  }

  /**
   * The per-subscriber RLS check (what `realtime.visible_keys` does), as
   * prepared statements pipelined in one transaction: for each job, switch to
   * the claims' role with `request.jwt.claims` set, then select which of the
   * changed keys that role can see. A job whose statements fail (unknown role,
   * no privilege, a policy that raises) sees nothing; the jobs after it, whose
   * statements the aborted transaction refused, are run again.
   * Returns `relid \0 claimsKey` → set of visible key JSON texts.
   */
  private async checkRls(
    conn: Sql,
    jobs: { relid: number; meta: RelMeta; claims: Claims; claimsKey: string; keys: (string | null)[][] }[],
  ): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>()
    let rest = jobs
    while (rest.length) {
      const begin = conn.unsafe('begin')
      begin.execute()
      const sent: Promise<unknown>[] = [begin]
      for (const j of rest) {
        const c = j.claims
        const setup = conn.unsafe(SET_CLAIMS, [String(c.role ?? 'anon'), JSON.stringify(c), typeof c.sub === 'string' ? c.sub : '', String(c.role ?? 'anon')], { prepare: true })
        setup.execute()
        const check = conn.unsafe(j.meta.checkSql, [JSON.stringify(j.keys)], { prepare: true })
        check.execute()
        sent.push(setup, check)
      }
      const end = conn.unsafe('rollback')
      end.execute()
      sent.push(end)
      // A lost connection is the batch's failure, not these claims' (nothing more may be sent on it).
      const settled = await settleOrLose(sent)
      if (!Array.isArray(settled)) throw settled.lost
      const results = rest.map((_, i) => [settled[1 + 2 * i]!, settled[2 + 2 * i]!] as const)
      let failedAt = -1
      results.forEach(([setup, check], i) => {
        if (failedAt >= 0) return
        const j = rest[i]!
        const k = `${j.relid}\u0000${j.claimsKey}`
        if (setup.status === 'rejected' || check.status === 'rejected') {
          const e = setup.status === 'rejected' ? setup.reason : (check as PromiseRejectedResult).reason
          this.log({ level: 'warn', service: 'realtime', message: 'RLS check refused: nothing visible for these claims', role: j.claims.role, error: String((e as Error)?.message ?? e) })
          // This job sees nothing; the ones after it ran in an aborted transaction.
          failedAt = i
          out.set(k, new Set())
          return
        }
        const rows = check.value as unknown as { keys: string }[]
        out.set(k, new Set((JSON.parse(rows[0]?.keys ?? '[]') as unknown[][]).map((x) => JSON.stringify(x))))
      })
      rest = failedAt >= 0 ? rest.slice(failedAt + 1) : []
    }
    return out
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

  /**
   * Typed `record`/`old_record` for every work of one relation. Values of the
   * common types are converted here exactly as `to_jsonb` would; a row with any
   * other type goes to `realtime.typed_records` (one call per relation).
   */
  private async typeRecords(conn: Sql, relid: number, list: Work[]): Promise<void> {
    const inputs: Record<string, unknown>[] = []
    const slots: [Work, 'record' | 'oldRecord', Set<string>][] = []
    const put = (w: Work, field: 'record' | 'oldRecord', rel: Relation, values: WalValue[], only?: Set<string>) => {
      const fast = fastRow(rel, values, only)
      if (fast) {
        w[field] = fast
        return
      }
      const row = textRow(rel, values, only)
      inputs.push(row)
      slots.push([w, field, new Set(Object.keys(row))])
    }
    for (const w of list) {
      const c = w.change
      const rel = c.relation
      if (c.new) put(w, 'record', rel, c.new)
      if (c.type !== 'INSERT') {
        if (c.old) {
          // A key-only old tuple carries the identity columns; the rest are placeholders.
          const keyCols = c.oldIsKeyOnly ? new Set(rel.columns.filter((col) => col.key).map((col) => col.name)) : undefined
          put(w, 'oldRecord', rel, c.old, keyCols)
        } else {
          // UPDATE with the default identity and an unchanged key: the key is the new row's.
          const keyCols = new Set(rel.columns.filter((col) => col.key).map((col) => col.name))
          put(w, 'oldRecord', rel, c.new ?? [], keyCols)
        }
      }
    }
    if (!inputs.length) return
    let typed: Record<string, unknown>[]
    try {
      const [r] = await conn<{ rows: unknown }[]>`select realtime.typed_records(${relid}::oid::regclass, ${conn.json(inputs as never)}) as rows`
      typed = r!.rows as Record<string, unknown>[]
    } catch (e) {
      if (dbFailure(e)) throw e
      // The table changed under us (dropped, altered): fall back to the text values.
      this.log({ level: 'warn', service: 'realtime', message: 'typed_records failed, sending text values', error: String((e as Error).message) })
      typed = inputs
    }
    slots.forEach(([w, field, present], i) => {
      w[field] = pick(typed[i] ?? {}, present)
    })
  }

  private async relMeta(conn: Sql, relid: number): Promise<RelMeta> {
    const [r] = await conn`
      select c.relrowsecurity as rls, format('%I.%I', n.nspname, c.relname) as qualified,
             coalesce((select json_agg(a.attname::text order by k.ord)
                         from pg_index ix
                         cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
                         join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum
                        where ix.indrelid = c.oid and ix.indisprimary), '[]')::text as pk,
             coalesce((select json_agg(format_type(a.atttypid, a.atttypmod) order by k.ord)
                         from pg_index ix
                         cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
                         join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum
                        where ix.indrelid = c.oid and ix.indisprimary), '[]')::text as pk_types
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${relid}`
    if (!r) return { pk: [], rls: true, checkSql: '' }
    // JSON text, not Postgres arrays: the pool reads no array types (see realtime/index.ts).
    const pk = JSON.parse(r.pk as string) as string[]
    const types = JSON.parse(r.pk_types as string) as string[]
    // Which of the given keys (WAL text, PK column order) this role can SELECT now.
    const checkSql = `select coalesce(json_agg(json_build_array(${pk.map((c) => `t.${qi(c)}::text`).join(', ')})), '[]')::text as keys ` +
      `from ${r.qualified as string} as t where (${pk.map((c) => `t.${qi(c)}`).join(', ')}) in ` +
      `(select ${types.map((ty, i) => `(x->>${i})::${ty}`).join(', ')} from json_array_elements($1::text::json) as x)`
    return { pk, rls: r.rls as boolean, checkSql }
  }

  private async ensureTypeNames(conn: Sql, rel: Relation): Promise<void> {
    const missing = rel.columns.map((c) => c.typeOid).filter((o) => !this.typeNames.has(o))
    if (!missing.length) return
    const rows = await conn`select oid::int as oid, typname::text as name from pg_type where oid = any(string_to_array(${missing.join(',')}, ',')::oid[])`
    for (const r of rows) this.typeNames.set(r.oid as number, r.name as string)
  }

  /** Columns a role may SELECT on a relation, cached for a second (grants change rarely). */
  private async columns(conn: Sql, key: string): Promise<void> {
    const hit = this.columnCache.get(key)
    if (hit && Date.now() - hit.at < 1000) return
    const [role, relid] = key.split('\u0000')
    let cols = new Set<string>()
    try {
      const rows = await conn`
        select a.attname::text as name from pg_attribute a
         where a.attrelid = ${Number(relid)}::oid and a.attnum > 0 and not a.attisdropped
           and exists (select 1 from pg_roles where rolname = ${role ?? ''})
           and has_column_privilege(${role ?? ''}::text, a.attrelid, a.attnum, 'SELECT')`
      cols = new Set(rows.map((r) => r.name as string))
    } catch (e) {
      if (dbFailure(e)) throw e
      cols = new Set()
    }
    this.columnCache.set(key, { at: Date.now(), cols })
  }
}

const SET_CLAIMS =
  "select set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true), " +
  "set_config('request.jwt.claim.sub', $3::text, true), set_config('request.jwt.claim.role', $4::text, true)"

const qi = (id: string) => '"' + id.replace(/"/g, '""') + '"'

function w0idx(rel: Relation, column: string): number {
  return rel.columns.findIndex((c) => c.name === column)
}

const INT_OIDS = new Set([20, 21, 23])
const FLOAT_OIDS = new Set([700, 701, 1700])
const TEXT_OIDS = new Set([25, 1043, 1042, 19, 2950])
const TS_TZ = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d{1,6})?)([+-]\d\d)(:\d\d)?$/
const TS = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d{1,6})?)$/

/**
 * A WAL text value as `to_jsonb` gives it, for the common types; `undefined`
 * when the type (or this value's form: infinity, BC dates, odd offsets) is
 * left to Postgres.
 */
function fastValue(typeOid: number, v: string): unknown {
  if (TEXT_OIDS.has(typeOid)) return v
  if (INT_OIDS.has(typeOid)) {
    const n = Number(v)
    return Number.isSafeInteger(n) ? n : undefined
  }
  if (FLOAT_OIDS.has(typeOid)) {
    const n = Number(v)
    return Number.isFinite(n) && /^-?[\d.]+(e[+-]?\d+)?$/i.test(v) ? n : undefined
  }
  if (typeOid === 16) return v === 't' ? true : v === 'f' ? false : undefined
  if (typeOid === 114 || typeOid === 3802) {
    try {
      return JSON.parse(v)
    } catch {
      return undefined
    }
  }
  if (typeOid === 1184) {
    const m = TS_TZ.exec(v)
    return m ? `${m[1]}T${m[2]}${m[3]}${m[4] ?? ':00'}` : undefined
  }
  if (typeOid === 1114) {
    const m = TS.exec(v)
    return m ? `${m[1]}T${m[2]}` : undefined
  }
  if (typeOid === 1082) return /^\d{4}-\d\d-\d\d$/.test(v) ? v : undefined
  return undefined
}

/** The typed row when every present value converts in Node, else undefined. */
function fastRow(rel: Relation, values: WalValue[], only?: Set<string>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  const cols = rel.columns
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!
    const v = values[i]
    if (v === undefined) continue
    if (only && !only.has(c.name)) continue
    if (v === null) {
      out[c.name] = null
      continue
    }
    const x = fastValue(c.typeOid, v)
    if (x === undefined) return undefined
    out[c.name] = x
  }
  return out
}
