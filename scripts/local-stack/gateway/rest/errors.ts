/**
 * PostgREST error bodies and the SQLSTATE → HTTP status mapping
 * (supabase-contract.md §1.11).
 */

export interface ErrorBody {
  code: string
  message: string
  details: string | null
  hint: string | null
}

/** An error answered to the client as a PostgREST error body. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: string | null = null,
    public hint: string | null = null,
    public headers: Record<string, string> = {},
  ) {
    super(message)
  }

  body(): ErrorBody {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message }
  }
}

export const parseError = (message: string, details: string | null = null) =>
  new ApiError(400, 'PGRST100', message, details)

/** The error Postgres itself would raise for an unknown column (PostgREST lets it through). */
export const undefinedColumn = (table: string, column: string) =>
  new ApiError(400, '42703', `column ${table}.${column} does not exist`)

/**
 * The database could not be reached (PostgREST's hasql UsageError): `connect` — no
 * connection could be opened → PGRST000; `lost` — the connection died under the
 * request → PGRST001. Both 503, details the driver's message.
 */
export function unavailable(kind: 'connect' | 'lost', e: unknown): ApiError {
  const details = typeof e === 'string' ? e : String((e as Error)?.message ?? e)
  return kind === 'connect'
    ? new ApiError(503, 'PGRST000', 'Database connection error. Retrying the connection.', details)
    : new ApiError(503, 'PGRST001', 'Database client error. Retrying the connection.', details)
}

/** The schema cache could not be loaded because the database is unreachable (PGRST002). */
export const schemaUnavailable = (e: unknown) =>
  new ApiError(503, 'PGRST002', 'Could not query the database for the schema cache. Retrying.', String((e as Error)?.message ?? e))

/** HTTP status for a PostgreSQL SQLSTATE, as PostgREST's Error.hs maps it. */
export function statusForSqlState(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403
  if (code === '23503' || code === '23505') return 409
  if (code === '25006') return 405
  if (code === 'P0001') return 400
  if (code === '42883' || code === '42P01') return 404
  if (code === '42P17') return 500
  if (code === '53400') return 500
  // 57P01 admin shutdown: PostgREST answers 503. 57P02 (crash shutdown of another backend)
  // and 57P03 (starting up / shutting down) are the same outage seen at another moment;
  // PostgREST gives 500 for the first, here it is 503 too (never a 500 for a restart).
  if (code === '57P01' || code === '57P02' || code === '57P03') return 503
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2))
  const p = code.slice(0, 2)
  if (p === '08' || p === '53') return 503
  if (p === '0L' || p === '0P' || p === '28') return 403
  if (['09', '25', '2D', '38', '39', '3B', '40', '54', '55', '57', '58', 'F0', 'HV', 'P0', 'XX'].includes(p)) return 500
  return 400
}

interface PgLikeError {
  code?: string
  message: string
  detail?: string
  hint?: string
}

export function isPgError(e: unknown): e is PgLikeError & { severity?: string } {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as PgLikeError).code === 'string' &&
    ((e as { name?: string }).name === 'PostgresError' || 'severity' in e)
}

/** A Postgres error as a PostgREST error (status, body, headers). */
export function fromPgError(e: PgLikeError, role: string): ApiError {
  const code = e.code ?? 'XX000'
  const status = statusForSqlState(code, role)
  const headers: Record<string, string> = {}
  if (status === 401) headers['www-authenticate'] = 'Bearer'
  return new ApiError(status, code, e.message, e.detail ?? null, e.hint ?? null, headers)
}

/** Levenshtein distance, for "Perhaps you meant …" hints. */
export function distance(a: string, b: string): number {
  const m = a.length
  const n = b.length
  let prev = Array.from({ length: n + 1 }, (_, j) => j)
  for (let i = 1; i <= m; i++) {
    const cur = [i]
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[n]
}

export function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    const d = distance(name, c)
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}
