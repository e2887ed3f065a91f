/**
 * Access to the running local stack from vitest: `npm test` exports the stack's
 * environment (SUPABASE_URL, keys, SUPABASE_DB_URL, MAIL_URL, SANDBOX_URL…).
 */
import postgres from 'postgres'
import WebSocket from 'ws'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'

export function env(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run the stack tests through \`npm test\``)
  return v
}

/** A superuser connection to the stack's database. */
export function adminSql(): postgres.Sql {
  return postgres(env('SUPABASE_DB_URL'), { max: 4, onnotice: () => {} })
}

/** The real supabase-js, pointed at the gateway (Node 20: `ws` as the WebSocket). */
export function client(key: 'anon' | 'service' = 'anon', opts: { persist?: boolean } = {}): SupabaseClient {
  return createClient(env('SUPABASE_URL'), key === 'anon' ? env('SUPABASE_ANON_KEY') : env('SUPABASE_SERVICE_ROLE_KEY'), {
    auth: { persistSession: opts.persist ?? false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  })
}
