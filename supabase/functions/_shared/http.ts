/**
 * HTTP plumbing for edge functions: CORS, JSON responses, errors with stable
 * codes, and zod-validated JSON bodies with field-level messages.
 *
 * Error body: `{ "error": { "code": "validation_failed", "message": "…",
 * "details"?: {…}, "traceId"?: "…" } }`. Clients branch on `code`, never on
 * `message` (which may be reworded) — the codes below are a public contract.
 */
import { z } from 'zod'
import type { Logger } from './log.ts'

export const ERROR_CODES = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  not_a_member: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const
export type ErrorCode = keyof typeof ERROR_CODES

export class HttpError extends Error {
  readonly status: number
  readonly headers: Record<string, string>
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.status = ERROR_CODES[code]
    this.headers = options?.headers ?? {}
  }
}

const ALLOW_HEADERS = 'authorization, x-client-info, apikey, content-type, x-request-id, x-tenant-id'
const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS'

/**
 * CORS headers for a request. With an allow-list, the request's Origin is
 * echoed when listed (and Vary: Origin set); without one, any origin.
 */
export function corsHeaders(origin?: string | null, allowed?: string[]): Record<string, string> {
  const base = { 'Access-Control-Allow-Headers': ALLOW_HEADERS, 'Access-Control-Allow-Methods': ALLOW_METHODS, 'Access-Control-Max-Age': '86400' }
  if (!allowed || allowed.length === 0 || allowed.includes('*')) return { ...base, 'Access-Control-Allow-Origin': '*' }
  if (origin && allowed.includes(origin)) return { ...base, 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
  return { ...base, Vary: 'Origin' }
}

/** The answer to a CORS preflight, or null when `req` is not one. */
export function preflight(req: Request, allowed?: string[]): Response | null {
  if (req.method !== 'OPTIONS') return null
  return new Response(null, { status: 204, headers: corsHeaders(req.headers.get('origin'), allowed) })
}

export function json(data: unknown, init: ResponseInit & { cors?: Record<string, string> } = {}): Response {
  const headers = new Headers(init.headers)
  headers.set('content-type', 'application/json; charset=utf-8')
  for (const [k, v] of Object.entries(init.cors ?? corsHeaders())) if (!headers.has(k)) headers.set(k, v)
  return new Response(JSON.stringify(data), { status: init.status ?? 200, statusText: init.statusText, headers })
}

/** `{ "a.b": ["message", …] }` from a zod error; `_root` for form-level issues. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.map(String).join('.') : '_root'
    ;(out[key] ??= []).push(issue.message)
  }
  return out
}

/** Maps any thrown value to an error Response; unexpected errors are logged and hidden. */
export function errorResponse(e: unknown, opts: { traceId?: string; logger?: Logger; cors?: Record<string, string> } = {}): Response {
  let err: HttpError
  if (e instanceof HttpError) err = e
  else if (e instanceof z.ZodError) err = new HttpError('validation_failed', 'The request is invalid', { fields: fieldErrors(e) })
  else {
    opts.logger?.error('unhandled error', e)
    err = new HttpError('internal_error', 'An unexpected error occurred')
  }
  if (err.status >= 500 && e instanceof HttpError) opts.logger?.error(err.message, e)
  const body = { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}), ...(opts.traceId ? { traceId: opts.traceId } : {}) } }
  return json(body, { status: err.status, headers: err.headers, cors: opts.cors })
}

/**
 * Reads a JSON body and validates it with `schema`. Throws HttpError:
 * 415 unsupported_media_type, 413 payload_too_large, 400 invalid_json,
 * 422 validation_failed with `details.fields` per field.
 */
export async function parseBody<S extends z.ZodType>(req: Request, schema: S, opts: { maxBytes?: number } = {}): Promise<z.output<S>> {
  const max = opts.maxBytes ?? 1_000_000
  const type = req.headers.get('content-type') ?? ''
  if (!/^application\/([a-z0-9.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError('unsupported_media_type', 'The body must be JSON (Content-Type: application/json)')
  }
  const declared = Number(req.headers.get('content-length') ?? 0)
  if (declared > max) throw new HttpError('payload_too_large', `The body exceeds ${max} bytes`)
  const text = await req.text()
  if (new TextEncoder().encode(text).length > max) throw new HttpError('payload_too_large', `The body exceeds ${max} bytes`)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new HttpError('invalid_json', 'The body is not valid JSON')
  }
  const r = schema.safeParse(raw)
  if (!r.success) throw new HttpError('validation_failed', 'The request is invalid', { fields: fieldErrors(r.error) })
  return r.data
}

/** Validates URL query parameters (strings) with `schema`. */
export function parseQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const r = schema.safeParse(Object.fromEntries(url.searchParams))
  if (!r.success) throw new HttpError('validation_failed', 'The query is invalid', { fields: fieldErrors(r.error) })
  return r.data
}

export function requireMethod(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) {
    throw new HttpError('method_not_allowed', `Use ${methods.join(' or ')}`, undefined, { headers: { Allow: methods.join(', ') } })
  }
}

export interface RequestContext {
  traceId: string
  logger: Logger
  cors: Record<string, string>
}

/**
 * Wraps a handler: answers preflights, assigns a trace id (x-request-id or a
 * new UUID), gives the handler a logger carrying it, adds CORS and the trace
 * id to the response, and turns thrown errors into error responses.
 */
export function withHttp(
  logger: Logger,
  handler: (req: Request, ctx: RequestContext) => Promise<Response>,
  opts: { allowedOrigins?: string[] } = {},
): (req: Request) => Promise<Response> {
  return async (req) => {
    const cors = corsHeaders(req.headers.get('origin'), opts.allowedOrigins)
    const pre = preflight(req, opts.allowedOrigins)
    if (pre) return pre
    const incoming = req.headers.get('x-request-id')
    const traceId = incoming && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID()
    const log = logger.child({ traceId })
    let res: Response
    try {
      res = await handler(req, { traceId, logger: log, cors })
    } catch (e) {
      res = errorResponse(e, { traceId, logger: log, cors })
    }
    const headers = new Headers(res.headers)
    for (const [k, v] of Object.entries(cors)) if (!headers.has(k)) headers.set(k, v)
    headers.set('x-request-id', traceId)
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
  }
}
