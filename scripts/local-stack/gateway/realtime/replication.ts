/**
 * A logical replication client for the `supabase_realtime` publication: a
 * temporary pgoutput slot read over a postgres.js replication connection
 * (postgres.js speaks the CopyBoth protocol; the pgoutput decoding is ours so
 * we get raw text values, commit timestamps and transaction boundaries).
 *
 * The slot is a permanent one named after the gateway: dropped and recreated
 * when the gateway starts (so a crashed gateway never leaves WAL pinned for
 * long), resumed from its confirmed position when the connection drops or
 * Postgres restarts (so nothing committed in the gap is lost), and dropped when
 * the gateway stops. Only whole transactions are confirmed.
 */
import postgres from 'postgres'

export interface RelationColumn {
  name: string
  typeOid: number
  /** Part of the replica identity key (PK for the default identity, every column for FULL). */
  key: boolean
}

export interface Relation {
  id: number
  schema: string
  table: string
  /** `d` default, `f` full, `i` index, `n` nothing. */
  replicaIdentity: string
  columns: RelationColumn[]
}

/** A text value from the WAL; `undefined` for an unchanged TOAST value, `null` for NULL. */
export type WalValue = string | null | undefined

export interface WalChange {
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  relation: Relation
  /** New tuple (INSERT/UPDATE). */
  new?: WalValue[]
  /** Old tuple: the key columns only (`K`) or the whole row (`O`, replica identity full). */
  old?: WalValue[]
  oldIsKeyOnly?: boolean
}

export interface WalTransaction {
  commitTime: Date
  changes: WalChange[]
}

export interface ReplicationOptions {
  url: string
  publication: string
  onTransaction(tx: WalTransaction): void
  log(entry: Record<string, unknown>): void
  /** application_name of the walsender, so tests can find and terminate it. */
  applicationName?: string
  /** Replication slot name (lower case letters, digits, underscores). */
  slot: string
}

const PG_EPOCH_MS = Date.UTC(2000, 0, 1)

/** Reads pgoutput's XLogData payloads (protocol version 1). */
export class PgOutputDecoder {
  private relations = new Map<number, Relation>()
  private current: WalTransaction | null = null

  /** End LSN of the last commit read: everything up to it is in our hands. */
  lastCommitEnd = 0n

  constructor(private readonly emit: (tx: WalTransaction) => void) {}

  get inTransaction(): boolean {
    return this.current !== null
  }

  relation(id: number): Relation | undefined {
    return this.relations.get(id)
  }

  decode(x: Buffer): void {
    const tag = String.fromCharCode(x[0]!)
    switch (tag) {
      case 'B': {
        const micros = x.readBigInt64BE(9)
        this.current = { commitTime: new Date(PG_EPOCH_MS + Number(micros / 1000n)), changes: [] }
        return
      }
      case 'C': {
        this.lastCommitEnd = x.readBigUInt64BE(10)
        const tx = this.current
        this.current = null
        if (tx && tx.changes.length) this.emit(tx)
        return
      }
      case 'R': {
        let i = 1
        const id = x.readUInt32BE(i)
        i += 4
        const [schema, i2] = cstring(x, i)
        const [table, i3] = cstring(x, i2)
        i = i3
        const replicaIdentity = String.fromCharCode(x[i++]!)
        const n = x.readUInt16BE(i)
        i += 2
        const columns: RelationColumn[] = []
        for (let c = 0; c < n; c++) {
          const flags = x[i++]!
          const [name, j] = cstring(x, i)
          i = j
          const typeOid = x.readUInt32BE(i)
          i += 8 // type oid + typmod
          columns.push({ name, typeOid, key: (flags & 1) === 1 })
        }
        this.relations.set(id, { id, schema: schema || 'pg_catalog', table, replicaIdentity, columns })
        return
      }
      case 'I': {
        const rel = this.mustRelation(x.readUInt32BE(1))
        // byte 5 is 'N'
        const { values } = tuple(x, 6)
        this.push({ type: 'INSERT', relation: rel, new: values })
        return
      }
      case 'U': {
        const rel = this.mustRelation(x.readUInt32BE(1))
        let i = 5
        let old: WalValue[] | undefined
        let oldIsKeyOnly: boolean | undefined
        const kind = String.fromCharCode(x[i]!)
        if (kind === 'K' || kind === 'O') {
          const t = tuple(x, i + 1)
          old = t.values
          oldIsKeyOnly = kind === 'K'
          i = t.next
        }
        // x[i] is 'N'
        const { values } = tuple(x, i + 1)
        this.push({ type: 'UPDATE', relation: rel, new: values, old, oldIsKeyOnly })
        return
      }
      case 'D': {
        const rel = this.mustRelation(x.readUInt32BE(1))
        const kind = String.fromCharCode(x[5]!)
        const { values } = tuple(x, 6)
        this.push({ type: 'DELETE', relation: rel, old: values, oldIsKeyOnly: kind === 'K' })
        return
      }
      default:
        // 'Y' type, 'O' origin, 'T' truncate, 'M' message: nothing Realtime delivers.
        return
    }
  }

  private push(change: WalChange): void {
    if (this.current) this.current.changes.push(change)
    else this.emit({ commitTime: new Date(), changes: [change] })
  }

  private mustRelation(id: number): Relation {
    const r = this.relations.get(id)
    if (!r) throw new Error(`pgoutput: change for unknown relation ${id}`)
    return r
  }
}

function cstring(x: Buffer, i: number): [string, number] {
  const end = x.indexOf(0, i)
  return [x.toString('utf8', i, end), end + 1]
}

function tuple(x: Buffer, i: number): { values: WalValue[]; next: number } {
  const n = x.readUInt16BE(i)
  i += 2
  const values: WalValue[] = []
  for (let c = 0; c < n; c++) {
    const kind = x[i++]
    if (kind === 0x6e) values.push(null) // n
    else if (kind === 0x75) values.push(undefined) // u: unchanged TOAST
    else {
      const len = x.readUInt32BE(i)
      i += 4
      values.push(x.toString('utf8', i, i + len)) // t (text); b (binary) is never requested
      i += len
    }
  }
  return { values, next: i }
}

/**
 * Keeps one replication stream open, reopening it after any failure with a
 * capped backoff. `ready()` resolves once a stream is started (the slot's
 * consistent point is fixed), so every commit after that is delivered.
 */
export class ReplicationStream {
  private sql: postgres.Sql | null = null
  private stream: import('node:stream').Duplex | null = null
  private generation = 0
  private stopped = false
  private lsn = 0n
  private feedbackTimer: NodeJS.Timeout | null = null
  private readyWaiters: (() => void)[] = []
  private streaming = false
  private backoffMs = 200
  /** Number of times the stream was (re)started; tests and logs read it. */
  starts = 0

  constructor(private readonly opts: ReplicationOptions) {}

  start(): void {
    void this.connect()
  }

  isStreaming(): boolean {
    return this.streaming
  }

  /** Resolves when a stream is running (immediately if it already is), or after `timeoutMs`. */
  ready(timeoutMs = 10_000): Promise<boolean> {
    if (this.streaming) return Promise.resolve(true)
    return new Promise((res) => {
      const t = setTimeout(() => res(false), timeoutMs)
      this.readyWaiters.push(() => {
        clearTimeout(t)
        res(true)
      })
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.teardown()
    // Drop the slot so it pins no WAL while the gateway is down.
    const sql = postgres(this.opts.url, { max: 1, onnotice: () => {}, connect_timeout: 2 })
    try {
      for (let i = 0; i < 20; i++) {
        const [r] = await sql`select active from pg_replication_slots where slot_name = ${this.opts.slot}`
        if (!r) break
        if (!r.active) {
          await sql`select pg_drop_replication_slot(${this.opts.slot})`
          break
        }
        await new Promise((res) => setTimeout(res, 100))
      }
    } catch {
      // Postgres already gone: the next start drops the slot.
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation
    const slot = this.opts.slot
    const first = this.starts === 0
    const fail = (e: unknown) => {
      if (gen !== this.generation || this.stopped) return
      this.opts.log({ level: 'warn', service: 'realtime', message: 'replication stream lost, reconnecting', error: String((e as Error)?.message ?? e) })
      this.generation++
      this.streaming = false
      void this.teardown().then(() => {
        if (this.stopped) return
        const wait = this.backoffMs
        this.backoffMs = Math.min(this.backoffMs * 2, 3000)
        setTimeout(() => void this.connect(), wait)
      })
    }
    try {
      const sql = postgres(this.opts.url, {
        max: 1,
        idle_timeout: 0,
        max_lifetime: null,
        fetch_types: false,
        onnotice: () => {},
        connect_timeout: 5,
        connection: { replication: 'database', application_name: this.opts.applicationName ?? 'realtime' } as Record<string, string>,
        onclose: () => fail(new Error('replication connection closed')),
      })
      this.sql = sql
      const existing = await sql.unsafe(`select active, active_pid from pg_replication_slots where slot_name = '${slot}'`)
      if (existing.length && existing[0]!.active) {
        // Our previous walsender has not exited yet (it notices the lost client late).
        await sql.unsafe(`select pg_terminate_backend(${Number(existing[0]!.active_pid)})`)
        throw new Error('replication slot still active, retrying')
      }
      let point = '0/0'
      if (existing.length && first) await sql.unsafe(`select pg_drop_replication_slot('${slot}')`)
      if (!existing.length || first) {
        const [created] = await sql.unsafe(`CREATE_REPLICATION_SLOT ${slot} LOGICAL pgoutput NOEXPORT_SNAPSHOT`)
        point = String(created!.consistent_point)
      }
      if (gen !== this.generation) return
      const [hi = 0n, lo = 0n] = point.split('/').map((h) => BigInt('0x' + h))
      if (point !== '0/0') this.lsn = (hi << 32n) | lo
      // Resuming: from the end of the last transaction received, not only the slot's confirmed
      // position (Postgres takes the later of the two), so a transaction received but not yet
      // confirmed when the connection dropped — the confirmation goes every 5 s — is not sent twice.
      else if (this.lsn > 0n) point = `${(this.lsn >> 32n).toString(16).toUpperCase()}/${(this.lsn & 0xffffffffn).toString(16).toUpperCase()}`
      const pub = this.opts.publication.replace(/'/g, "''")
      const stream = (await sql
        .unsafe(`START_REPLICATION SLOT ${slot} LOGICAL ${point} (proto_version '1', publication_names '${pub}')`)
        .writable()) as unknown as import('node:stream').Duplex
      if (gen !== this.generation) return
      this.stream = stream
      const decoder = new PgOutputDecoder(this.opts.onTransaction)
      stream.on('data', (x: Buffer) => {
        try {
          if (x[0] === 0x77) {
            // XLogData: w, start lsn, wal end, send time, payload
            decoder.decode(x.subarray(25))
            if (decoder.lastCommitEnd > this.lsn) this.lsn = decoder.lastCommitEnd
          } else if (x[0] === 0x6b) {
            // Primary keepalive: k, wal end, time, reply requested. Outside a transaction
            // everything up to wal end has been sent, so it can be confirmed.
            const end = x.readBigUInt64BE(1)
            if (!decoder.inTransaction && end > this.lsn) this.lsn = end
            if (x[17]) this.feedback()
          }
        } catch (e) {
          this.opts.log({ level: 'error', service: 'realtime', message: 'could not decode a replication message', error: String((e as Error).stack ?? e) })
        }
      })
      stream.on('error', fail)
      stream.on('close', () => fail(new Error('replication stream closed')))
      this.feedbackTimer = setInterval(() => this.feedback(), 5000)
      this.streaming = true
      this.starts++
      this.backoffMs = 200
      this.opts.log({ level: 'info', service: 'realtime', message: 'replication stream started', slot })
      for (const w of this.readyWaiters.splice(0)) w()
    } catch (e) {
      fail(e)
    }
  }

  /** Standby status update: everything received is written, flushed and applied. */
  private feedback(): void {
    const s = this.stream
    if (!s || s.destroyed) return
    const b = Buffer.alloc(34)
    b[0] = 0x72 // r
    b.writeBigUInt64BE(this.lsn, 1)
    b.writeBigUInt64BE(this.lsn, 9)
    b.writeBigUInt64BE(this.lsn, 17)
    b.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25)
    b[33] = 0
    s.write(b)
  }

  private async teardown(): Promise<void> {
    if (this.feedbackTimer) clearInterval(this.feedbackTimer)
    this.feedbackTimer = null
    this.streaming = false
    const sql = this.sql
    const stream = this.stream
    this.sql = null
    this.stream = null
    stream?.removeAllListeners('close')
    stream?.on('error', () => {})
    stream?.destroy()
    if (sql) await sql.end({ timeout: 1 }).catch(() => {})
  }
}
