import { createError, getRequestIP, setHeader, type H3Event } from 'h3'

/**
 * Fixed-window limiter in memory, per key (client IP). Enough for one Nitro
 * process; several instances would each allow `limit` (documented in
 * docs/frontend.md).
 */
export function createRateLimiter(limit: number, windowMs: number, now: () => number = Date.now) {
  const hits = new Map<string, { count: number; reset: number }>()
  return {
    take(key: string): { ok: boolean; retryAfter: number; remaining: number } {
      const t = now()
      if (hits.size > 10_000) for (const [k, v] of hits) if (v.reset <= t) hits.delete(k)
      let h = hits.get(key)
      if (!h || h.reset <= t) {
        h = { count: 0, reset: t + windowMs }
        hits.set(key, h)
      }
      h.count++
      return { ok: h.count <= limit, retryAfter: Math.ceil((h.reset - t) / 1000), remaining: Math.max(0, limit - h.count) }
    },
  }
}

export function enforceRateLimit(event: H3Event, limiter: ReturnType<typeof createRateLimiter>) {
  const ip = getRequestIP(event, { xForwardedFor: true }) ?? 'unknown'
  const r = limiter.take(ip)
  setHeader(event, 'X-RateLimit-Remaining', String(r.remaining))
  if (!r.ok) {
    setHeader(event, 'Retry-After', String(r.retryAfter))
    throw createError({ statusCode: 429, statusMessage: 'Too Many Requests', data: { code: 'rate_limited', retryAfter: r.retryAfter } })
  }
}
