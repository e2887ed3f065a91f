/**
 * Shared helpers for the auth conformance tests: unique addresses, a strong
 * password that satisfies config.toml's policy, users created through the
 * admin API, and raw calls to /auth/v1 for what supabase-js does not expose.
 */
import { randomUUID } from 'node:crypto'
import { decodeJwt } from 'jose'
import { client, env } from '../helpers/stack.ts'

export const PASSWORD = 'Motdepasse2026'

export function email(tag: string): string {
  return `${tag}-${randomUUID().slice(0, 8)}@example.com`
}

/** A confirmed user created through the admin API. */
export async function confirmedUser(tag: string, extra: { user_metadata?: Record<string, unknown>; password?: string } = {}) {
  const address = email(tag)
  const { data, error } = await client('service').auth.admin.createUser({
    email: address, password: extra.password ?? PASSWORD, email_confirm: true, user_metadata: extra.user_metadata,
  })
  if (error) throw error
  return { email: address, id: data.user!.id }
}

/** A signed-in supabase-js client and its session. */
export async function signedIn(tag: string) {
  const u = await confirmedUser(tag)
  const c = client('anon')
  const { data, error } = await c.auth.signInWithPassword({ email: u.email, password: PASSWORD })
  if (error) throw error
  return { ...u, c, session: data.session! }
}

export async function authFetch(path: string, init: RequestInit & { key?: 'anon' | 'service'; bearer?: string } = {}) {
  const key = init.key === 'service' ? env('SUPABASE_SERVICE_ROLE_KEY') : env('SUPABASE_ANON_KEY')
  const headers = new Headers(init.headers)
  headers.set('apikey', key)
  if (!headers.has('x-supabase-api-version')) headers.set('x-supabase-api-version', '2024-01-01')
  if (init.bearer !== '') headers.set('authorization', `Bearer ${init.bearer ?? key}`)
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json')
  return fetch(`${env('SUPABASE_URL')}/auth/v1${path}`, { ...init, headers, redirect: 'manual' })
}

export const claims = (jwt: string) => decodeJwt(jwt) as Record<string, unknown>
