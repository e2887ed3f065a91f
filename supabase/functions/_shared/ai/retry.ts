/**
 * Retries with exponential backoff and full jitter, capped, honouring the
 * provider's Retry-After (seconds or HTTP date) and OpenAI's retry-after-ms.
 * Only transient failures are retried: timeouts, connection errors, 408, 409,
 * 429 and 5xx. A Retry-After longer than the cap is not waited for: the call
 * fails at once (the breaker and the fallback take over) rather than holding
 * a user's request.
 */
export interface RetryOptions {
  maxAttempts: number
  baseMs: number
  maxMs: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  now?: () => number
  /** Called before each wait (logging, tests). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void
}

export const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Milliseconds the server asked us to wait, or undefined. */
export function retryAfterMs(headers: Headers | Record<string, string | null | undefined> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined
  const get = (k: string) => (headers instanceof Headers ? headers.get(k) : (headers[k] ?? headers[k.toLowerCase()])) ?? null
  const ms = get('retry-after-ms')
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms))
  const ra = get('retry-after')
  if (ra === null) return undefined
  const v = ra.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000)
  const date = Date.parse(v)
  if (!Number.isNaN(date)) return Math.max(0, date - now)
  return undefined
}

export interface TransientInfo {
  transient: boolean
  status?: number
  headers?: Headers
}

/** Whether an error from the provider (an OpenAI SDK APIError or a network error) is worth retrying. */
export function classify(e: unknown): TransientInfo {
  const err = e as { status?: number; headers?: Headers; name?: string; code?: string }
  const status = typeof err?.status === 'number' ? err.status : undefined
  if (status !== undefined) {
    return { transient: status === 408 || status === 409 || status === 429 || status >= 500, status, headers: err.headers }
  }
  const name = `${err?.name ?? ''} ${(e as object)?.constructor?.name ?? ''}`
  // APIConnectionError, APIConnectionTimeoutError, our own timeouts, fetch TypeErrors.
  return { transient: /Connection|Timeout|AbortError|TypeError/.test(name) || err?.code === 'ai_timeout' }
}

export class RetryAfterTooLong extends Error {
  constructor(readonly waitMs: number, cause: unknown) {
    super(`the provider asked to retry after ${waitMs} ms`, { cause })
    this.name = 'RetryAfterTooLong'
  }
}

/** Backoff for the attempt that just failed (1-based): full jitter in [0, min(max, base·2^(n-1))]. */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'random'>): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1))
  return Math.round(ceiling * (opts.random ?? Math.random)())
}

/**
 * Runs `fn(attempt)` until it succeeds, fails permanently or attempts run out.
 * Resolves with the value and the number of attempts made; rejects with the
 * last error, annotated with `attempts`.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<{ value: T; attempts: number }> {
  const sleep = opts.sleep ?? defaultSleep
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt }
    } catch (e) {
      const info = classify(e)
      if (!info.transient || attempt >= opts.maxAttempts) throw annotate(e, attempt)
      const asked = retryAfterMs(info.headers, (opts.now ?? Date.now)())
      if (asked !== undefined && asked > opts.maxMs) throw annotate(new RetryAfterTooLong(asked, e), attempt)
      const delayMs = asked ?? backoffMs(attempt, opts)
      opts.onRetry?.({ attempt, delayMs, error: e })
      await sleep(delayMs)
    }
  }
}

function annotate(e: unknown, attempts: number): unknown {
  if (e && typeof e === 'object') {
    try {
      Object.defineProperty(e, 'attempts', { value: attempts, configurable: true })
    } catch { /* frozen */ }
  }
  return e
}

export function attemptsOf(e: unknown): number {
  const a = (e as { attempts?: unknown })?.attempts
  return typeof a === 'number' ? a : 1
}
