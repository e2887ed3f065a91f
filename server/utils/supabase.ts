import type { H3Event } from 'h3'
import { createEventSupabase, hasSessionCookie } from './supabase-event'

/** The request's Supabase client, from the validated server configuration. */
export function serverSupabase(event: H3Event) {
  const cfg = serverConfig(event)
  return createEventSupabase(event, { url: cfg.supabaseUrl, key: cfg.supabaseKey, secure: cfg.appUrl.startsWith('https:') })
}

/** The signed-in user (verified by the Auth server), or null. */
export async function serverUser(event: H3Event) {
  if (!hasSessionCookie(event)) return null
  const { data, error } = await serverSupabase(event).auth.getUser()
  return error ? null : data.user
}
