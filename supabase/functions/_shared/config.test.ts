import assert from 'node:assert/strict'
import { z } from 'zod'
import { ConfigError, config, coreEnvSchema, loadEnv, parseEnv, resetConfig } from './config.ts'

const good = {
  SUPABASE_URL: 'http://127.0.0.1:54321',
  SUPABASE_ANON_KEY: 'anon-key',
  SUPABASE_SERVICE_ROLE_KEY: 'service-key-very-secret',
  SUPABASE_DB_URL: 'postgresql://postgres@127.0.0.1:54322/postgres',
}

Deno.test('config: a complete environment parses, with defaults', () => {
  const c = parseEnv(coreEnvSchema, { ...good, CORS_ALLOWED_ORIGINS: 'http://a.fr, http://b.fr', UNRELATED: 'x' })
  assert.equal(c.SUPABASE_URL, good.SUPABASE_URL)
  assert.equal(c.LOG_LEVEL, 'info')
  assert.equal(c.DB_POOL_MAX, 5)
  assert.deepEqual(c.CORS_ALLOWED_ORIGINS, ['http://a.fr', 'http://b.fr'])
  assert.equal(c.SUPABASE_JWT_SECRET, undefined)
  assert.equal('UNRELATED' in c, false)
})

Deno.test('config: missing and invalid variables are named, their values never echoed', () => {
  let e: ConfigError | undefined
  try {
    parseEnv(coreEnvSchema, { ...good, SUPABASE_URL: 'not a url', SUPABASE_SERVICE_ROLE_KEY: undefined, DB_POOL_MAX: '0' })
  } catch (err) {
    e = err as ConfigError
  }
  assert.ok(e instanceof ConfigError)
  const vars = e.issues.map((i) => i.variable).sort()
  assert.deepEqual(vars, ['DB_POOL_MAX', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_URL'])
  assert.equal(e.issues.find((i) => i.variable === 'SUPABASE_SERVICE_ROLE_KEY')?.message, 'is required')
  assert.ok(!e.message.includes('not a url'))
})

Deno.test('config: an empty variable counts as unset', () => {
  assert.throws(() => parseEnv(coreEnvSchema, { ...good, SUPABASE_ANON_KEY: '' }), (e: unknown) =>
    e instanceof ConfigError && e.issues.some((i) => i.variable === 'SUPABASE_ANON_KEY' && i.message === 'is required'))
})

Deno.test('config: coerces numbers and checks enums', () => {
  assert.equal(parseEnv(coreEnvSchema, { ...good, DB_POOL_MAX: '12' }).DB_POOL_MAX, 12)
  assert.throws(() => parseEnv(coreEnvSchema, { ...good, LOG_LEVEL: 'loud' }), ConfigError)
  assert.throws(() => parseEnv(coreEnvSchema, { ...good, SUPABASE_DB_URL: 'mysql://x' }), ConfigError)
})

Deno.test('config: the environment is parsed once per isolate until reset', () => {
  const schema = z.object({ SHARED_CONFIG_PROBE: z.string() })
  Deno.env.set('SHARED_CONFIG_PROBE', 'one')
  try {
    resetConfig()
    const first = loadEnv(schema)
    Deno.env.set('SHARED_CONFIG_PROBE', 'two')
    assert.equal(loadEnv(schema), first)
    assert.equal(loadEnv(schema).SHARED_CONFIG_PROBE, 'one')
    resetConfig()
    assert.equal(loadEnv(schema).SHARED_CONFIG_PROBE, 'two')
  } finally {
    Deno.env.delete('SHARED_CONFIG_PROBE')
    resetConfig()
  }
})

Deno.test('config: config() reads the stack environment', () => {
  resetConfig()
  const c = config()
  assert.match(c.SUPABASE_URL, /^https?:\/\//)
  assert.equal(config(), c)
})
