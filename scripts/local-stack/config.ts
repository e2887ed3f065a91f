/**
 * Local stack configuration: ports, keys and paths, shared by the supervisor,
 * the gateway and the test harness. Keys are generated per data folder and
 * never committed; production gets its own from the Supabase project.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { SignJWT } from 'jose'

export const ROOT = resolve(import.meta.dirname, '../..')

export interface StackKeys {
  jwtSecret: string
  anonKey: string
  serviceRoleKey: string
  publishableKey: string
  secretKey: string
}

export interface StackPorts {
  db: number
  gateway: number
  functions: number
  smtp: number
  mail: number
  sandbox: number
  app: number
}

export interface StackConfig {
  mode: 'dev' | 'test'
  dataDir: string
  ports: StackPorts
  keys: StackKeys
  dbName: string
  /** URL for superuser access (migrations, admin work). */
  dbUrl: string
  apiUrl: string
  appUrl: string
  mailUrl: string
  sandboxUrl: string
  functionsUrl: string
  /** Schemas the REST API exposes (config.toml [api] schemas; tests add their fixture schema). */
  exposedSchemas: string[]
}

export const DEFAULT_PORTS: StackPorts = {
  db: 54322,
  gateway: 54321,
  functions: 54329,
  smtp: 54325,
  mail: 54324,
  sandbox: 54330,
  app: 3000,
}

/** Resolves to `port` when it is free on 127.0.0.1, else to a free port the OS picks. */
export async function freePort(port: number): Promise<number> {
  const tryListen = (p: number) =>
    new Promise<number>((res, rej) => {
      const srv = createServer()
      srv.once('error', rej)
      srv.listen(p, '127.0.0.1', () => {
        const addr = srv.address()
        const got = typeof addr === 'object' && addr ? addr.port : p
        srv.close(() => res(got))
      })
    })
  try {
    return await tryListen(port)
  } catch {
    return await tryListen(0)
  }
}

async function signKey(secret: string, role: string): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('supabase-demo')
    .setIssuedAt(1_641_769_200)
    .setExpirationTime(1_983_812_996)
    .sign(new TextEncoder().encode(secret))
}

/** Loads the keys stored in the data folder, creating them on first use. */
export async function loadKeys(dataDir: string): Promise<StackKeys> {
  const file = join(dataDir, 'keys.json')
  let base: { jwtSecret: string; publishableKey: string; secretKey: string }
  if (existsSync(file)) {
    base = JSON.parse(readFileSync(file, 'utf8'))
  } else {
    mkdirSync(dataDir, { recursive: true })
    base = {
      jwtSecret: randomBytes(32).toString('base64url'),
      publishableKey: `sb_publishable_${randomBytes(16).toString('base64url')}`,
      secretKey: `sb_secret_${randomBytes(16).toString('base64url')}`,
    }
    writeFileSync(file, JSON.stringify(base, null, 2), { mode: 0o600 })
  }
  return {
    ...base,
    anonKey: await signKey(base.jwtSecret, 'anon'),
    serviceRoleKey: await signKey(base.jwtSecret, 'service_role'),
  }
}

export async function resolveConfig(opts: {
  mode: 'dev' | 'test'
  dataDir: string
  preferredPorts?: Partial<StackPorts>
}): Promise<StackConfig> {
  const wanted = { ...DEFAULT_PORTS, ...opts.preferredPorts }
  const ports = {} as StackPorts
  for (const [name, port] of Object.entries(wanted) as [keyof StackPorts, number][]) {
    // In test mode every port is picked by the OS so parallel stacks never collide.
    ports[name] = await freePort(opts.mode === 'test' ? 0 : port)
  }
  const keys = await loadKeys(opts.dataDir)
  const dbName = 'postgres'
  return {
    mode: opts.mode,
    dataDir: opts.dataDir,
    ports,
    keys,
    dbName,
    dbUrl: `postgresql://postgres@127.0.0.1:${ports.db}/${dbName}`,
    apiUrl: `http://127.0.0.1:${ports.gateway}`,
    appUrl: `http://localhost:${ports.app}`,
    mailUrl: `http://127.0.0.1:${ports.mail}`,
    sandboxUrl: `http://127.0.0.1:${ports.sandbox}`,
    functionsUrl: `http://127.0.0.1:${ports.functions}`,
    exposedSchemas:
      opts.mode === 'test' || process.env.STACK_EXPOSE_CONFORMANCE === '1'
        ? ['public', 'graphql_public', 'conformance']
        : ['public', 'graphql_public'],
  }
}

/** The environment every child (Nuxt, Deno functions, tests) receives. */
export function stackEnv(cfg: StackConfig): Record<string, string> {
  return {
    SUPABASE_URL: cfg.apiUrl,
    SUPABASE_ANON_KEY: cfg.keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: cfg.keys.serviceRoleKey,
    SUPABASE_PUBLISHABLE_KEY: cfg.keys.publishableKey,
    SUPABASE_SECRET_KEY: cfg.keys.secretKey,
    SUPABASE_JWT_SECRET: cfg.keys.jwtSecret,
    SUPABASE_DB_URL: cfg.dbUrl,
    NUXT_PUBLIC_SUPABASE_URL: cfg.apiUrl,
    NUXT_PUBLIC_SUPABASE_KEY: cfg.keys.anonKey,
    NUXT_PUBLIC_APP_URL: cfg.appUrl,
    APP_URL: cfg.appUrl,
    MAIL_URL: cfg.mailUrl,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(cfg.ports.smtp),
    SANDBOX_URL: cfg.sandboxUrl,
    FUNCTIONS_URL: cfg.functionsUrl,
    // Provider SDKs point at the sandbox; production sets real endpoints and keys.
    OPENAI_BASE_URL: `${cfg.sandboxUrl}/openai/v1`,
    OPENAI_API_KEY: 'sk-sandbox',
    BREVO_BASE_URL: `${cfg.sandboxUrl}/brevo/v3`,
    BREVO_API_KEY: 'xkeysib-sandbox',
    BREVO_WEBHOOK_TOKEN: 'sandbox-brevo-webhook-token',
    TWILIO_API_BASE_URL: `${cfg.sandboxUrl}/twilio`,
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'sandbox-twilio-auth-token',
    STRIPE_API_BASE_URL: `${cfg.sandboxUrl}/stripe`,
    STRIPE_SECRET_KEY: 'sk_test_sandbox',
    STRIPE_WEBHOOK_SECRET: 'whsec_sandbox',
    COMPANIES_API_URL: `${cfg.sandboxUrl}/recherche-entreprises`,
    ENRICHMENT_SEARCH_URL: `${cfg.sandboxUrl}/enrichment`,
    ENRICHMENT_SEARCH_KEY: 'sandbox-search-key',
  }
}
