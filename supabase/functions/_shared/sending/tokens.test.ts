import assert from 'node:assert/strict'
import { signLink, verifyLink } from './tokens.ts'

Deno.test('a signed link verifies, a tampered or foreign one does not', async () => {
  const t = await signLink({ s: '6f1c7a56-3a0e-4a5e-9a7e-1b2c3d4e5f60', p: 'u' }, 'secret-one')
  assert.deepEqual(await verifyLink(t, 'secret-one'), { s: '6f1c7a56-3a0e-4a5e-9a7e-1b2c3d4e5f60', p: 'u' })
  assert.equal(await verifyLink(t, 'secret-two'), null)
  const [body, mac] = t.split('.')
  const forged = btoa(JSON.stringify({ s: 'other', p: 'u' })).replace(/=+$/, '')
  assert.equal(await verifyLink(`${forged}.${mac}`, 'secret-one'), null)
  assert.equal(await verifyLink(`${body}.${mac}x`, 'secret-one'), null)
  assert.equal(await verifyLink(`${body}`, 'secret-one'), null)
})
