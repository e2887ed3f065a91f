import assert from 'node:assert/strict'
import { handler } from './handler.ts'

const call = (path: string, init?: RequestInit) => handler(new Request(`http://localhost/hello-world${path}`, init))

Deno.test('hello-world echoes a JSON body and greets by name', async () => {
  const r = await call('?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ana"}' })
  assert.equal(r.status, 200)
  const body = await r.json()
  assert.equal(body.message, 'Hello Ana!')
  assert.deepEqual(body.query, { x: '1' })
  assert.deepEqual(body.body, { name: 'Ana' })
})

Deno.test('hello-world rejects invalid JSON with 400', async () => {
  const r = await call('', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
  assert.equal(r.status, 400)
})

Deno.test('hello-world /status/<code> replies with that status; out-of-range codes are refused', async () => {
  assert.equal((await call('/status/418')).status, 418)
  assert.equal((await call('/status/999')).status, 400)
})

Deno.test('hello-world /throw throws (the runtime turns it into WORKER_ERROR)', async () => {
  await assert.rejects(() => call('/throw'), /asked to throw/)
})

Deno.test('hello-world /env reports presence of keys, never their values', async () => {
  const body = await (await call('/env')).json()
  assert.equal(JSON.stringify(body).includes(Deno.env.get('SUPABASE_SERVICE_ROLE_KEY') ?? '\u0000'), false)
  assert.equal(typeof body.has.SUPABASE_SERVICE_ROLE_KEY, 'boolean')
})
