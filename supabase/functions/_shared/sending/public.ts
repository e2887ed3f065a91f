/**
 * What the public endpoints (webhooks, unsubscribe, tracking) share: the
 * client's address for rate limiting, and the per-minute limit itself, kept in
 * Postgres (private.rate_limit_hit) so every isolate counts the same hits.
 */
import type { Sql } from '../db.ts'
import { HttpError } from '../http.ts'
import { sendingEnv } from './config.ts'

/** The client address: the first X-Forwarded-For hop the platform's proxy added, else "unknown". */
export function clientIp(req: Request): string {
  const xff = req.headers.get('x-forwarded-for')
  const first = xff?.split(',')[0]?.trim()
  return first || req.headers.get('x-real-ip') || 'unknown'
}

/** Counts a hit for (endpoint, client); HttpError 429 past the limit. */
export async function rateLimit(sql: Sql, endpoint: string, req: Request, limit = sendingEnv().SENDING_RATE_LIMIT_PER_MINUTE): Promise<void> {
  const [r] = await sql`select private.rate_limit_hit(${`${endpoint}:${clientIp(req)}`}, ${limit}, 60) as ok`
  if (!r.ok) throw new HttpError('rate_limited', 'Too many requests, try again in a minute', undefined, { headers: { 'Retry-After': '60' } })
}
