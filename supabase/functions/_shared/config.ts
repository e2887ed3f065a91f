/**
 * Edge-function configuration: the environment, validated with zod once per
 * isolate. On Supabase the platform injects SUPABASE_URL, SUPABASE_ANON_KEY,
 * SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL; the local stack passes the
 * same names (scripts/local-stack/config.ts `stackEnv`). Errors name the
 * variables at fault, never their values.
 *
 * Other modules with settings of their own (providers/) validate them with
 * `loadEnv(theirSchema)` so every variable is read through zod.
 */
import { z } from 'zod'

const csv = z
  .string()
  .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))

export const coreEnvSchema = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  /** Direct or pooler URL; on Supabase use the transaction pooler (port 6543). */
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /**
   * Legacy HS256 signing secret. When set, user JWTs are verified with it;
   * when absent, against the project's JWKS (asymmetric signing keys).
   */
  SUPABASE_JWT_SECRET: z.string().min(16).optional(),
  /** The app's public URL (links in e-mails, CORS). */
  APP_URL: z.url().optional(),
  /** Origins allowed by CORS, comma separated; `*` when unset. */
  CORS_ALLOWED_ORIGINS: csv.optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(50).default(5),
})

export type CoreConfig = z.infer<typeof coreEnvSchema>

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid environment: ${issues.map((i) => `${i.variable} ${i.message}`).join('; ')}`)
    this.name = 'ConfigError'
  }
}

/** Validates `env` against `schema`; throws ConfigError naming each bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // An empty variable counts as unset, as in most deployment dashboards.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const r = schema.safeParse(cleaned)
  if (r.success) return r.data
  throw new ConfigError(
    r.error.issues.map((i) => ({
      variable: i.path.map(String).join('.') || '(env)',
      message: i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message,
    })),
  )
}

function denoEnv(): Record<string, string> {
  return Deno.env.toObject()
}

const cache = new Map<z.ZodType, unknown>()

/** Parses the process environment with `schema` once per isolate and caches it. */
export function loadEnv<S extends z.ZodType>(schema: S): z.output<S> {
  if (!cache.has(schema)) cache.set(schema, parseEnv(schema, denoEnv()))
  return cache.get(schema) as z.output<S>
}

/** The core configuration, parsed on first use. */
export function config(): CoreConfig {
  return loadEnv(coreEnvSchema)
}

/** Forgets parsed configuration (tests that change the environment). */
export function resetConfig(): void {
  cache.clear()
}
