import { createServerClient, type CookieOptions } from '@supabase/ssr'
import type { SupabaseClient } from '@supabase/supabase-js'
import { parseCookies, setCookie, type H3Event } from 'h3'

const KEY = '__supabase'

/**
 * Realtime is opened by the browser only. Node 20 has no global WebSocket and
 * realtime-js refuses to build a client without one, so server clients get a
 * transport that fails loudly if anything ever tries to connect.
 */
class ServerSideNoWebSocket {
  constructor() {
    throw new Error('Realtime channels are opened in the browser, not during SSR')
  }
}

/**
 * A Supabase client bound to one request: it reads the session from the
 * request's cookies (chunked `sb-…-auth-token.N` included) and writes refreshed
 * or cleared cookies onto the response. Memoised on the event. No Nitro
 * auto-imports here: the Nuxt SSR bundle imports this file too.
 */
export function createEventSupabase(event: H3Event, opts: { url: string; key: string; secure: boolean }): SupabaseClient {
  const ctx = event.context as Record<string, unknown>
  if (ctx[KEY]) return ctx[KEY] as SupabaseClient
  const client = createServerClient(opts.url, opts.key, {
    realtime: { transport: ServerSideNoWebSocket as never },
    cookies: {
      getAll: () => Object.entries(parseCookies(event)).map(([name, value]) => ({ name, value })),
      setAll: (cookies: { name: string; value: string; options: CookieOptions }[]) => {
        for (const { name, value, options } of cookies) {
          // Once the response is on its way no header can be added; the
          // browser client then refreshes the cookie itself.
          if (event.node.res.headersSent) continue
          setCookie(event, name, value, { ...options, secure: opts.secure, sameSite: 'lax', path: '/', httpOnly: false })
        }
      },
    },
  })
  ctx[KEY] = client
  return client
}

export function hasSessionCookie(event: H3Event): boolean {
  return Object.keys(parseCookies(event)).some((n) => /^sb-.+-auth-token(\.\d+)?$/.test(n))
}
