/**
 * Postgres from edge functions, with postgres.js.
 *
 * - One pool per isolate, from SUPABASE_DB_URL. `prepare: false` because
 *   Supabase's pooler in transaction mode (port 6543) cannot keep prepared
 *   statements across transactions.
 * - `withUser(claims, fn)`: fn runs in a transaction as `authenticated` with
 *   the caller's `request.jwt.claims`, exactly as PostgREST runs a request, so
 *   RLS decides what it sees and changes. This is the default.
 * - `withService(reason, fn)`: fn runs in a transaction as `service_role`
 *   (bypasses RLS) — only for work that must cross tenants; the reason is logged.
 */
import postgres from 'postgres'
import { config } from './config.ts'
import { createLogger, type Logger } from './log.ts'

export type Sql = postgres.Sql
export type Tx = postgres.TransactionSql

/** The JWT claims a user request carries (auth.ts verifies them). */
export interface DbClaims {
  sub?: string
  role?: string
  [claim: string]: unknown
}

let pool: Sql | undefined

export function createPool(url: string, max = 5): Sql {
  return postgres(url, {
    prepare: false,
    max,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'edge-function' },
  })
}

/** The isolate's pool, created on first use. */
export function db(): Sql {
  if (!pool) {
    const cfg = config()
    pool = createPool(cfg.SUPABASE_DB_URL, cfg.DB_POOL_MAX)
  }
  return pool
}

/** Closes the pool (tests, graceful shutdown). */
export async function closeDb(): Promise<void> {
  const p = pool
  pool = undefined
  await p?.end({ timeout: 5 })
}

const USER_ROLES = new Set(['authenticated', 'anon'])

/**
 * Runs `fn` in a transaction as the user: `set local role` to the claims'
 * role (`authenticated`, or `anon` for anonymous sessions) and
 * `request.jwt.claims` to the claims, so `auth.uid()` and RLS apply.
 */
export async function withUser<T>(claims: DbClaims, fn: (tx: Tx) => Promise<T>, sql: Sql = db()): Promise<T> {
  const role = claims.role ?? 'authenticated'
  if (!USER_ROLES.has(role)) throw new Error(`withUser needs a user's claims, got role ${JSON.stringify(role)}`)
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify({ ...claims, role })}, true)`
    return fn(tx)
  })) as T
}

let serviceLog: Logger | undefined

/**
 * Runs `fn` in a transaction as `service_role` (RLS bypassed). `reason` says
 * why the work must cross tenants; it is logged with every use.
 */
export async function withService<T>(
  reason: string,
  fn: (tx: Tx) => Promise<T>,
  opts: { sql?: Sql; logger?: Logger } = {},
): Promise<T> {
  if (!reason.trim()) throw new Error('withService needs a reason')
  const log = opts.logger ?? (serviceLog ??= createLogger('db'))
  log.info('service role database access', { reason })
  return (await (opts.sql ?? db()).begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${JSON.stringify({ role: 'service_role' })}, true)`
    return fn(tx)
  })) as T
}
