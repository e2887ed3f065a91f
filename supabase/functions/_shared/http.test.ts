import assert from 'node:assert/strict'
import { z } from 'zod'
import { corsHeaders, errorResponse, HttpError, json, parseBody, parseQuery, preflight, requireMethod, withHttp } from './http.ts'
import { createLogger } from './log.ts'

const post = (body: string, type = 'application/json') =>
  new Request('http://fn.local/x', { method: 'POST', headers: { 'content-type': type }, body })

const schema = z.object({
  email: z.email(),
  address: z.object({ postalCode: z.string().regex(/^[0-9]{5}$/, 'must be 5 digits') }),
  tags: z.array(z.string()).default([]),
})

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p
  } catch (e) {
    assert.ok(e instanceof HttpError, `expected an HttpError, got ${e}`)
    return e
  }
  assert.fail('expected a rejection')
}

Deno.test('http: json() sets status, content type and CORS', async () => {
  const r = json({ ok: true }, { status: 201 })
  assert.equal(r.status, 201)
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
  assert.equal(r.headers.get('access-control-allow-origin'), '*')
  assert.deepEqual(await r.json(), { ok: true })
})

Deno.test('http: preflight answers OPTIONS with the allowed headers, and nothing else', () => {
  const r = preflight(new Request('http://fn.local/x', { method: 'OPTIONS' }))
  assert.equal(r?.status, 204)
  assert.match(r!.headers.get('access-control-allow-headers')!, /authorization.*apikey.*content-type/)
  assert.equal(preflight(new Request('http://fn.local/x')), null)
})

Deno.test('http: an origin allow-list echoes listed origins only', () => {
  const allowed = ['https://app.immo.fr']
  assert.equal(corsHeaders('https://app.immo.fr', allowed)['Access-Control-Allow-Origin'], 'https://app.immo.fr')
  assert.equal(corsHeaders('https://evil.example', allowed)['Access-Control-Allow-Origin'], undefined)
  assert.equal(corsHeaders('https://evil.example', allowed).Vary, 'Origin')
})

Deno.test('http: parseBody returns the parsed, defaulted body', async () => {
  const b = await parseBody(post(JSON.stringify({ email: 'a@b.fr', address: { postalCode: '75001' } })), schema)
  assert.deepEqual(b, { email: 'a@b.fr', address: { postalCode: '75001' }, tags: [] })
})

Deno.test('http: parseBody reports each invalid field by path', async () => {
  const e = await rejection(parseBody(post(JSON.stringify({ email: 'nope', address: { postalCode: '7500' }, tags: [1] })), schema))
  assert.equal(e.status, 422)
  assert.equal(e.code, 'validation_failed')
  const fields = (e.details as { fields: Record<string, string[]> }).fields
  assert.deepEqual(Object.keys(fields).sort(), ['address.postalCode', 'email', 'tags.0'])
  assert.deepEqual(fields['address.postalCode'], ['must be 5 digits'])
})

Deno.test('http: parseBody refuses non-JSON, malformed JSON and oversized bodies with stable codes', async () => {
  assert.equal((await rejection(parseBody(post('a=b', 'application/x-www-form-urlencoded'), schema))).code, 'unsupported_media_type')
  const bad = await rejection(parseBody(post('{"email":'), schema))
  assert.deepEqual([bad.status, bad.code], [400, 'invalid_json'])
  const big = await rejection(parseBody(post(JSON.stringify({ pad: 'x'.repeat(200) })), z.object({}), { maxBytes: 100 }))
  assert.deepEqual([big.status, big.code], [413, 'payload_too_large'])
})

Deno.test('http: parseQuery validates search parameters', () => {
  const q = parseQuery(new URL('http://x/?limit=20'), z.object({ limit: z.coerce.number().int().max(100) }))
  assert.equal(q.limit, 20)
  assert.throws(() => parseQuery(new URL('http://x/?limit=500'), z.object({ limit: z.coerce.number().max(100) })), HttpError)
})

Deno.test('http: errorResponse maps errors to stable codes and hides unexpected ones', async () => {
  const lines: string[] = []
  const logger = createLogger('t', {}, { sink: (l) => lines.push(l) })
  const r1 = errorResponse(new HttpError('not_a_member', 'No access', { tenantId: 'x' }), { traceId: 'tr' })
  assert.equal(r1.status, 403)
  assert.deepEqual(await r1.json(), { error: { code: 'not_a_member', message: 'No access', details: { tenantId: 'x' }, traceId: 'tr' } })
  const zr = z.object({ a: z.string() }).safeParse({})
  const r2 = errorResponse(zr.error)
  assert.equal(r2.status, 422)
  assert.equal((await r2.json()).error.details.fields.a.length, 1)
  const r3 = errorResponse(new Error('password=hunter2 leaked in a driver message'), { logger })
  assert.equal(r3.status, 500)
  const body = await r3.json()
  assert.equal(body.error.code, 'internal_error')
  assert.ok(!JSON.stringify(body).includes('hunter2'))
  assert.equal(lines.length, 1)
})

Deno.test('http: requireMethod answers 405 with Allow', () => {
  requireMethod(new Request('http://x/', { method: 'POST' }), 'POST')
  assert.throws(
    () => requireMethod(new Request('http://x/', { method: 'GET' }), 'POST'),
    (err: unknown) => err instanceof HttpError && err.status === 405 && err.headers.Allow === 'POST',
  )
})

Deno.test('http: withHttp keeps the trace id, adds CORS and turns throws into error bodies', async () => {
  const logger = createLogger('t', {}, { sink: () => {} })
  const seen: string[] = []
  const handler = withHttp(logger, async (req, ctx) => {
    seen.push(ctx.traceId)
    if (new URL(req.url).pathname === '/boom') throw new HttpError('conflict', 'Already there')
    return new Response('plain', { status: 200 })
  })
  const ok = await handler(new Request('http://x/ok', { headers: { 'x-request-id': 'abc-123' } }))
  assert.equal(ok.headers.get('x-request-id'), 'abc-123')
  assert.equal(ok.headers.get('access-control-allow-origin'), '*')
  assert.equal(await ok.text(), 'plain')
  const boom = await handler(new Request('http://x/boom'))
  assert.equal(boom.status, 409)
  const body = await boom.json()
  assert.equal(body.error.code, 'conflict')
  assert.equal(body.error.traceId, boom.headers.get('x-request-id'))
  assert.equal(seen[0], 'abc-123')
  const pre = await handler(new Request('http://x/ok', { method: 'OPTIONS' }))
  assert.equal(pre.status, 204)
  assert.equal(seen.length, 2)
})
