import { createBrowserClient } from '@supabase/ssr'
import type { SupabaseClient } from '@supabase/supabase-js'
import { createEventSupabase } from '~~/server/utils/supabase-event'

/**
 * One Supabase client per side: in the browser `createBrowserClient` (PKCE,
 * session in cookies so SSR sees it), on the server a client bound to the
 * current request's cookies. `useSupabase()` returns it.
 */
export default defineNuxtPlugin({
  name: 'supabase',
  enforce: 'pre',
  setup() {
    const { supabaseUrl, supabaseKey } = useRuntimeConfig().public
    let client: SupabaseClient
    if (import.meta.server) {
      client = createEventSupabase(useRequestEvent()!, { url: supabaseUrl, key: supabaseKey, secure: useRuntimeConfig().public.appUrl.startsWith('https:') })
    } else {
      if (!supabaseUrl || !supabaseKey) throw new Error('Supabase is not configured (NUXT_PUBLIC_SUPABASE_URL / NUXT_PUBLIC_SUPABASE_KEY)')
      client = createBrowserClient(supabaseUrl, supabaseKey, {
        cookieOptions: { sameSite: 'lax', path: '/', secure: location.protocol === 'https:' },
      })
    }
    return { provide: { supabase: client } }
  },
})
