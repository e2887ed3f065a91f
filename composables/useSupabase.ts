import type { SupabaseClient } from '@supabase/supabase-js'

/** The Supabase client of the current side (browser singleton, or per request on the server). */
export function useSupabase(): SupabaseClient {
  return useNuxtApp().$supabase as SupabaseClient
}
