/**
 * Edge Functions through the gateway's /functions/v1 relay and the local Deno
 * runtime, with the real supabase-js (contract §5, cases 98–99).
 * `hello-world` is public (verify_jwt = false in supabase/config.toml); the
 * default-on JWT check and boot failures use temporary functions this file
 * writes into supabase/functions and removes afterwards.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, env } from '../helpers/stack'

const ROOT = join(import.meta.dirname, '../..')
const tag = randomUUID().slice(0, 8)
const PRIVATE_FN = `zz-test-${tag}-private`
const BROKEN_FN = `zz-test-${tag}-broken`
const PRIVATE_DIR = join(ROOT, 'supabase/functions', PRIVATE_FN)
const BROKEN_DIR = join(ROOT, 'supabase/functions', BROKEN_FN)

const fnUrl = (path: string) => `${env('SUPABASE_URL')}/functions/v1/${path}`

async function userJwt(claims: Record<string, unknown> = {}, secret = env('SUPABASE_JWT_SECRET')): Promise<string> {
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', email: 'fn@test.local', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(randomUUID())
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret))
}

beforeAll(() => {
  mkdirSync(PRIVATE_DIR, { recursive: true })
  writeFileSync(join(PRIVATE_DIR, 'index.ts'), [
    'Deno.serve((req) => {',
    "  if (req.method === 'OPTIONS') return new Response('preflight ok', { headers: { 'access-control-allow-origin': '*' } })",
    "  return Response.json({ authorization: req.headers.get('authorization') })",
    '})',
    '',
  ].join('\n'))
  mkdirSync(BROKEN_DIR, { recursive: true })
  writeFileSync(join(BROKEN_DIR, 'index.ts'), "throw new Error('this function cannot boot')\n")
})

afterAll(() => {
  for (const d of [PRIVATE_DIR, BROKEN_DIR]) rmSync(d, { recursive: true, force: true })
})

describe('functions.invoke bodies and responses', () => {
  it('JSON body: the function gets the parsed JSON, the caller gets parsed JSON back (case 98)', async () => {
    const { data, error } = await client().functions.invoke('hello-world', { body: { a: 1, name: 'Ana' } })
    expect(error).toBeNull()
    expect(data.message).toBe('Hello Ana!')
    expect(data.body).toEqual({ a: 1, name: 'Ana' })
    expect(data.method).toBe('POST')
    expect(data.path).toBe('/hello-world')
    expect(data.headers['content-type']).toBe('application/json')
  })

  it('signed out, the function sees apikey, Authorization: Bearer <anon key> and X-Client-Info', async () => {
    const { data } = await client().functions.invoke('hello-world', { body: {} })
    expect(data.headers.apikey).toBe(env('SUPABASE_ANON_KEY'))
    expect(data.headers.authorization).toBe(`Bearer ${env('SUPABASE_ANON_KEY')}`)
    expect(data.headers['x-client-info']).toMatch(/^supabase-js/)
  })

  it("signed in, the function sees the user's JWT (case 98)", async () => {
    const jwt = await userJwt()
    const c = client()
    const { data, error } = await c.functions.invoke('hello-world', { body: { a: 1 }, headers: { Authorization: `Bearer ${jwt}` } })
    expect(error).toBeNull()
    expect(data.headers.authorization).toBe(`Bearer ${jwt}`)
  })

  it('string body is sent as text/plain and arrives as text', async () => {
    const { data, error } = await client().functions.invoke('hello-world', { body: 'plain words' })
    expect(error).toBeNull()
    expect(data.body).toBe('plain words')
    expect(data.headers['content-type']).toBe('text/plain')
  })

  it('binary body round-trips byte for byte; an octet-stream reply is a Blob', async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256)
    const { data, error } = await client().functions.invoke('hello-world/binary', { body: bytes.buffer })
    expect(error).toBeNull()
    expect(data).toBeInstanceOf(Blob)
    expect(new Uint8Array(await (data as Blob).arrayBuffer())).toEqual(bytes)
  })

  it('a Blob body is sent as application/octet-stream', async () => {
    const { data } = await client().functions.invoke('hello-world', { body: new Blob([new Uint8Array([1, 2, 3])]) })
    expect(data.headers['content-type']).toBe('application/octet-stream')
    expect(data.body).toEqual({ bytes: 3 })
  })

  it('a text/plain reply is returned as a string', async () => {
    const { data, error } = await client().functions.invoke('hello-world/text?name=Zoé', { method: 'GET' })
    expect(error).toBeNull()
    expect(data).toBe('Hello Zoé!')
  })

  it('the query string in the name reaches the function', async () => {
    const { data } = await client().functions.invoke('hello-world?name=Bob&x=1&y=a%20b', { body: {} })
    expect(data.query).toEqual({ name: 'Bob', x: '1', y: 'a b' })
    expect(data.message).toBe('Hello Bob!')
  })

  it('custom headers pass through; a caller Content-Type wins', async () => {
    const { data } = await client().functions.invoke('hello-world', {
      body: JSON.stringify({ name: 'Raw' }),
      headers: { 'x-custom-header': 'abc', 'content-type': 'application/json' },
    })
    expect(data.headers['x-custom-header']).toBe('abc')
    expect(data.body).toEqual({ name: 'Raw' })
  })

  it.each(['GET', 'PUT', 'PATCH', 'DELETE'] as const)('%s is relayed with its method', async (method) => {
    const { data, error } = await client().functions.invoke('hello-world', { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: { m: method } }) })
    expect(error).toBeNull()
    expect(data.method).toBe(method)
  })

  it('the path after the function name reaches it, and its status passes through (201)', async () => {
    const r = await fetch(fnUrl('hello-world/status/201'), { method: 'POST' })
    expect(r.status).toBe(201)
    expect(await r.json()).toEqual({ status: 201 })
  })

  it('reads the platform environment (SUPABASE_URL, keys present)', async () => {
    const { data, error } = await client().functions.invoke('hello-world/env', { method: 'GET' })
    expect(error).toBeNull()
    expect(data.SUPABASE_URL).toBe(env('SUPABASE_URL'))
    expect(data.has).toEqual({
      SUPABASE_ANON_KEY: true, SUPABASE_SERVICE_ROLE_KEY: true, SUPABASE_DB_URL: true, SUPABASE_PUBLISHABLE_KEYS: true, SUPABASE_SECRET_KEYS: true,
    })
  })

  it('a text/event-stream reply is streamed through and handed over as the raw Response', async () => {
    const { data, error } = await client().functions.invoke('hello-world/stream', { method: 'GET' })
    expect(error).toBeNull()
    expect(data).toBeInstanceOf(Response)
    const text = await (data as Response).text()
    expect(text.split('\n\n').filter(Boolean)).toEqual(['data: {"n":1}', 'data: {"n":2}', 'data: {"n":3}'])
  })

  it('a response header set by the function reaches the caller untouched', async () => {
    const r = await fetch(fnUrl('hello-world/text'), { method: 'GET' })
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(r.headers.get('x-relay-error')).toBeNull()
  })
})

describe('functions errors', () => {
  it('a non-2xx status from the function is a FunctionsHttpError with the Response as context (case 99)', async () => {
    const { data, error } = await client().functions.invoke('hello-world/status/418', { body: {} })
    expect(data).toBeNull()
    expect(error).toBeInstanceOf(FunctionsHttpError)
    const ctx = (error as FunctionsHttpError).context as Response
    expect(ctx.status).toBe(418)
    expect(await ctx.json()).toEqual({ status: 418 })
  })

  it('a function that throws gives 500 WORKER_ERROR (FunctionsHttpError) and keeps serving', async () => {
    const { error } = await client().functions.invoke('hello-world/throw', { body: {} })
    expect(error).toBeInstanceOf(FunctionsHttpError)
    const ctx = (error as FunctionsHttpError).context as Response
    expect(ctx.status).toBe(500)
    expect((await ctx.json()).code).toBe('WORKER_ERROR')
    const again = await client().functions.invoke('hello-world', { body: { name: 'after' } })
    expect(again.data.message).toBe('Hello after!')
  })

  it('an unknown function is 404 "Function not found", a relay error (case 99)', async () => {
    const { error } = await client().functions.invoke('does-not-exist', { body: {} })
    expect(error).toBeInstanceOf(FunctionsRelayError)
    const ctx = (error as FunctionsRelayError).context as Response
    expect(ctx.status).toBe(404)
    expect(ctx.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await ctx.text()).toBe('Function not found')
  })

  it('names starting with _ or . are never functions (_shared is not served)', async () => {
    for (const name of ['_shared', '_shared/http.ts', '.env', '..%2F..%2Fpackage.json']) {
      const r = await fetch(fnUrl(name), { method: 'POST' })
      expect(r.status, name).toBe(404)
      expect(await r.text()).toBe('Function not found')
    }
  })

  it('a function that fails to boot gives 503 BOOT_ERROR (relay error), again on retry', async () => {
    const { error } = await client().functions.invoke(BROKEN_FN, { body: {} })
    expect(error).toBeInstanceOf(FunctionsRelayError)
    const ctx = (error as FunctionsRelayError).context as Response
    expect(ctx.status).toBe(503)
    expect(await ctx.json()).toEqual({ code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' })
    const r = await fetch(fnUrl(BROKEN_FN), { method: 'POST', headers: { authorization: `Bearer ${env('SUPABASE_ANON_KEY')}` } })
    expect(r.status).toBe(503)
  })
})

describe('verify_jwt', () => {
  it('default on: no Authorization header → 401 "Missing authorization header" with x-relay-error', async () => {
    const r = await fetch(fnUrl(PRIVATE_FN), { method: 'POST' })
    expect(r.status).toBe(401)
    expect(r.headers.get('x-relay-error')).toBe('true')
    expect(await r.json()).toEqual({ msg: 'Error: Missing authorization header' })
  })

  it('default on: a token with a bad signature → 401 "Invalid JWT" (FunctionsRelayError)', async () => {
    const forged = await userJwt({}, 'not-the-project-secret-but-long-enough-to-sign')
    const { error } = await client().functions.invoke(PRIVATE_FN, { body: {}, headers: { Authorization: `Bearer ${forged}` } })
    expect(error).toBeInstanceOf(FunctionsRelayError)
    const ctx = (error as FunctionsRelayError).context as Response
    expect(ctx.status).toBe(401)
    expect(await ctx.json()).toEqual({ msg: 'Invalid JWT' })
  })

  it('default on: an expired token → 401 "Invalid JWT"', async () => {
    const expired = await new SignJWT({ role: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))
    const r = await fetch(fnUrl(PRIVATE_FN), { method: 'POST', headers: { authorization: `Bearer ${expired}` } })
    expect(r.status).toBe(401)
    expect(await r.json()).toEqual({ msg: 'Invalid JWT' })
  })

  it('default on: the anon key and a user JWT pass; the function sees the token', async () => {
    const anon = await client().functions.invoke(PRIVATE_FN, { body: {} })
    expect(anon.error).toBeNull()
    expect(anon.data.authorization).toBe(`Bearer ${env('SUPABASE_ANON_KEY')}`)
    const jwt = await userJwt()
    const user = await client().functions.invoke(PRIVATE_FN, { body: {}, headers: { Authorization: `Bearer ${jwt}` } })
    expect(user.data.authorization).toBe(`Bearer ${jwt}`)
  })

  it('an opaque publishable key is translated to the anon JWT before the check', async () => {
    const r = await fetch(fnUrl(PRIVATE_FN), { method: 'POST', headers: { apikey: env('SUPABASE_PUBLISHABLE_KEY') } })
    expect(r.status).toBe(200)
    expect((await r.json()).authorization).toBe(`Bearer ${env('SUPABASE_ANON_KEY')}`)
  })

  it('OPTIONS skips the JWT check: CORS is left to the function', async () => {
    const r = await fetch(fnUrl(PRIVATE_FN), { method: 'OPTIONS' })
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('preflight ok')
  })

  it('verify_jwt = false (hello-world): no key and no token needed', async () => {
    const r = await fetch(fnUrl('hello-world'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"anyone"}' })
    expect(r.status).toBe(200)
    expect((await r.json()).message).toBe('Hello anyone!')
  })

  it('verify_jwt = false still passes a bad token through to the function untouched', async () => {
    const r = await fetch(fnUrl('hello-world'), { method: 'POST', headers: { authorization: 'Bearer not.a.jwt' } })
    expect(r.status).toBe(200)
    expect((await r.json()).headers.authorization).toBe('Bearer not.a.jwt')
  })
})
