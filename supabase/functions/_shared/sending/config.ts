/**
 * Settings of the sending engine's public endpoints, read through zod.
 * SENDING_PUBLIC_URL: where unsubscribe, tracking and webhook URLs point (the
 * functions' public base, or a tracking domain proxying to it); defaults to
 * `${SUPABASE_URL}/functions/v1`. SENDING_LINK_SECRET: HMAC key of signed
 * links (falls back to the service key; set a dedicated one in production).
 * SENDING_RATE_LIMIT_PER_MINUTE: hits per client IP and endpoint per minute.
 */
import { z } from 'zod'
import { loadEnv } from '../config.ts'

export const sendingPublicEnvSchema = z.looseObject({
  SUPABASE_URL: z.url(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  SENDING_PUBLIC_URL: z.url().optional(),
  SENDING_LINK_SECRET: z.string().min(16).optional(),
  SENDING_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
})

export function sendingEnv() {
  return loadEnv(sendingPublicEnvSchema)
}
export const publicBaseUrl = () => (sendingEnv().SENDING_PUBLIC_URL ?? `${sendingEnv().SUPABASE_URL}/functions/v1`).replace(/\/$/, '')
export const linkSecret = () => sendingEnv().SENDING_LINK_SECRET ?? sendingEnv().SUPABASE_SERVICE_ROLE_KEY

/** The public URL a request was addressed to (what a provider signed), from the function's own path and query. */
export function publicRequestUrl(req: Request): string {
  const u = new URL(req.url)
  return `${publicBaseUrl()}${u.pathname}${u.search}`
}
