import { z } from 'zod'
import type { H3Event } from 'h3'

/** The configuration the server needs, parsed once; a bad value stops the boot. */
const ServerConfig = z.object({
  supabaseUrl: z.url({ message: 'NUXT_PUBLIC_SUPABASE_URL must be an http(s) URL' }),
  supabaseKey: z.string().min(20, { message: 'NUXT_PUBLIC_SUPABASE_KEY must be the anon (or publishable) key' }),
  appUrl: z.url({ message: 'NUXT_PUBLIC_APP_URL must be an http(s) URL' }),
  companiesApiUrl: z.url().optional(),
})
export type ServerConfig = z.infer<typeof ServerConfig>

let cached: ServerConfig | undefined

export function parseServerConfig(input: { public: Record<string, unknown> }, env: Record<string, string | undefined> = process.env): ServerConfig {
  const r = ServerConfig.safeParse({
    supabaseUrl: input.public.supabaseUrl,
    supabaseKey: input.public.supabaseKey,
    appUrl: input.public.appUrl,
    companiesApiUrl: env.COMPANIES_API_URL || undefined,
  })
  if (!r.success) {
    throw new Error(`Invalid configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  }
  return r.data
}

export function serverConfig(event?: H3Event): ServerConfig {
  if (!cached) cached = parseServerConfig(useRuntimeConfig(event))
  return cached
}
