/**
 * What every gateway module receives: configuration, database pools, JWT
 * verification and the logger. Modules never read process.env themselves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { jwtVerify, type JWTPayload } from 'jose'
import postgres from 'postgres'
import type { StackConfig } from '../config.ts'

export type Sql = postgres.Sql

/** Size of the `authenticator` pool used by REST. */
export const API_POOL = 20

export interface GatewayContext {
  cfg: StackConfig
  /** Logs in as `authenticator`; requests switch role with `set local role`. */
  api: Sql
  /** Logs in as `supabase_auth_admin`, owner of the auth schema (as GoTrue does). */
  authDb: Sql
  /** Logs in as `supabase_storage_admin` (as the storage service does). */
  storageDb: Sql
  /** Superuser, for replication and catalog work only. */
  admin: Sql
  jwtSecret: Uint8Array
  verifyJwt(token: string): Promise<JWTPayload & { role?: string }>
  log(entry: Record<string, unknown>): void
  /** Whether Postgres is reachable, as the last database failure left it (see DbHealth). */
  db: DbHealth
}

/**
 * How a database call failed when the cause is the connection rather than the SQL:
 * `connect` — no connection could be opened (refused, timed out, or Postgres is starting
 * or shutting down: 57P03); `lost` — an open connection died under the call (reset,
 * closed, or a FATAL from the server such as 57P01 on shutdown). Anything else is
 * `undefined` (a SQL error on a live connection).
 */
export type DbFailure = 'connect' | 'lost'

const CONNECT_CODES = new Set(['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EADDRNOTAVAIL'])
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED'])

export function dbFailure(e: unknown): DbFailure | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const { code, severity } = e as { code?: unknown; severity?: unknown }
  if (typeof code !== 'string') return undefined
  if (CONNECT_CODES.has(code) || code === '57P03') return 'connect'
  if (LOST_CODES.has(code) || severity === 'FATAL' || severity === 'PANIC') return 'lost'
  return undefined
}

/**
 * Postgres reachability, as PostgREST keeps it: the first connection failure marks the
 * database down and starts a probe (one short-lived connection every 250 ms) until a
 * `select 1` succeeds. While down, callers answer at once (REST: 503 PGRST000) instead
 * of queueing on a pool whose connections can only fail, so no request waits on an
 * outage; when the probe succeeds the pools reconnect on their next use.
 */
export class DbHealth {
  down: { since: number; error: string } | null = null
  private probing = false
  private closed = false
  private upListeners: (() => void)[] = []

  constructor(
    private readonly url: string,
    private readonly log: (e: Record<string, unknown>) => void,
  ) {}

  /**
   * Records a failed call and returns its kind. Only a failure to connect marks the
   * database down: a lost connection may be one terminated backend on a healthy server
   * (on a real shutdown the next connect fails with 57P03 or is refused).
   */
  failed(e: unknown): DbFailure | undefined {
    const kind = dbFailure(e)
    if (kind !== 'connect' || this.closed) return kind
    if (!this.down) {
      this.down = { since: Date.now(), error: String((e as Error).message ?? e) }
      this.log({ level: 'warn', service: 'gateway', message: 'database unreachable, retrying the connection', error: this.down.error })
    }
    if (!this.probing) void this.probe()
    return kind
  }

  private async probe(): Promise<void> {
    this.probing = true
    try {
      while (this.down && !this.closed) {
        const sql = postgres(this.url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 10, idle_timeout: 1, connection: { application_name: 'gateway_probe' } })
        try {
          await sql`select 1`
          this.log({ level: 'info', service: 'gateway', message: 'database reachable again', downMs: Date.now() - (this.down?.since ?? Date.now()) })
          this.down = null
          for (const fn of this.upListeners) fn()
        } catch (e) {
          if (this.down) this.down.error = String((e as Error).message ?? e)
        } finally {
          await sql.end({ timeout: 1 }).catch(() => {})
        }
        if (this.down) await new Promise((r) => setTimeout(r, 250))
      }
    } finally {
      this.probing = false
    }
  }

  /** Runs `fn` each time the database is reachable again after being marked down. */
  onUp(fn: () => void): void {
    this.upListeners.push(fn)
  }

  close(): void {
    this.closed = true
  }
}

/** Code of the error `reserveWithin` rejects with when no connection came in time. */
export const POOL_TIMEOUT = 'POOL_TIMEOUT'

/**
 * `sql.reserve()`, rejected with code POOL_TIMEOUT after `ms` (PostgREST's
 * db-pool-acquisition-timeout). A reservation that arrives after the timeout is released.
 */
export function reserveWithin(sql: Sql, ms: number): Promise<postgres.ReservedSql> {
  const r = sql.reserve()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.then((c) => c.release(), () => {})
      reject(Object.assign(new Error(`no connection from the pool within ${ms} ms`), { code: POOL_TIMEOUT }))
    }, ms)
  })
  return Promise.race([r, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Waits for every statement pipelined on one reserved connection, or for the first
 * that fails because the connection died: postgres.js never settles the statements
 * still queued inside a reserved connection that closes, so waiting for all of them
 * would hang. Returns the settled results, or `{ lost }`.
 */
export function settleOrLose<T>(queries: Promise<T>[]): Promise<PromiseSettledResult<T>[] | { lost: unknown }> {
  return new Promise((resolve) => {
    for (const q of queries) q.catch((e: unknown) => { if (dbFailure(e)) resolve({ lost: e }) })
    void Promise.allSettled(queries).then(resolve)
  })
}

/**
 * Releases a reserved connection unless the call failed because the connection died.
 * postgres.js moves a closed connection to its `closed` queue by itself; releasing it
 * as well would put the dead connection back among the open ones, and the next
 * statement written to it throws outside any promise (and ends the process).
 */
export function releaseUnlessLost(c: postgres.ReservedSql, error?: unknown): void {
  if (error !== undefined && dbFailure(error)) return
  c.release()
}

/** A module handles the requests under its prefix; `path` is what follows the prefix. */
export interface GatewayModule {
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void>
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, url: URL): void
  close?(): Promise<void>
}

export function createContext(cfg: StackConfig, log: (e: Record<string, unknown>) => void): GatewayContext {
  const base = `postgresql://%s@127.0.0.1:${cfg.ports.db}/${cfg.dbName}`
  // A short reconnect backoff (postgres.js grows it to 20 s after repeated failures, which
  // would hold requests and recovery long after Postgres is back) and a bounded connect.
  const opts = {
    onnotice: () => {},
    connection: { application_name: 'gateway' },
    connect_timeout: 10,
    backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
  }
  const jwtSecret = new TextEncoder().encode(cfg.keys.jwtSecret)
  // REST pipelines each request in one round trip, so a few connections keep
  // Postgres busy; more backends than cores only add context switches.
  // GATEWAY_API_POOL overrides (benchmarks).
  const apiPool = () => postgres(base.replace('%s', 'authenticator'), { ...opts, max: Number(process.env.GATEWAY_API_POOL) || API_POOL })
  const ctx: GatewayContext = {
    cfg,
    api: apiPool(),
    authDb: postgres(base.replace('%s', 'supabase_auth_admin'), { ...opts, max: 5 }),
    storageDb: postgres(base.replace('%s', 'supabase_storage_admin'), { ...opts, max: 5 }),
    admin: postgres(base.replace('%s', 'postgres'), { ...opts, max: 3 }),
    jwtSecret,
    async verifyJwt(token) {
      const { payload } = await jwtVerify(token, jwtSecret, { algorithms: ['HS256'] })
      return payload
    },
    log,
    db: new DbHealth(cfg.dbUrl, log),
  }
  // After an outage REST gets a fresh pool: a postgres.js `reserve()` whose connect failed
  // stays queued in its pool and, once Postgres is back, is handed a connection nobody will
  // ever use or release — each such one would shrink the old pool for good.
  ctx.db.onUp(() => {
    const old = ctx.api
    ctx.api = apiPool()
    void old.end({ timeout: 5 }).catch(() => {})
  })
  return ctx
}

export async function closeContext(ctx: GatewayContext): Promise<void> {
  ctx.db.close()
  await Promise.all([ctx.api.end(), ctx.authDb.end(), ctx.storageDb.end(), ctx.admin.end()])
}
