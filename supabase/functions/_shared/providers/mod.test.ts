import assert from 'node:assert/strict'
import { ConfigError } from '../config.ts'
import { createRegistry, providers, setProviders, type SmsProvider } from './mod.ts'
import { codeForStatus, ProviderError } from './types.ts'

Deno.test('registry: builds each adapter lazily from its own variables only', () => {
  const r = createRegistry({ COMPANIES_API_URL: 'http://127.0.0.1:9/x' })
  assert.equal(r.companies().name, 'recherche-entreprises')
  assert.equal(r.companies(), r.companies())
  assert.throws(() => r.payments(), (e) => e instanceof ConfigError && /STRIPE_SECRET_KEY/.test(e.message))
  assert.throws(() => r.sms(), (e) => e instanceof ConfigError && /TWILIO_ACCOUNT_SID/.test(e.message))
  assert.throws(() => createRegistry({ TWILIO_ACCOUNT_SID: 'nope', TWILIO_AUTH_TOKEN: 'token-token' }).sms(), ConfigError)
})

Deno.test('registry: overrides replace an adapter; setProviders swaps the process-wide one', async () => {
  const sent: string[] = []
  const fake: SmsProvider = { name: 'fake', send: (m) => (sent.push(m.to), Promise.resolve({ providerMessageId: 'SM1', status: 'queued', segments: 1 })), verifyWebhook: () => true }
  setProviders(createRegistry({}, { sms: fake }))
  try {
    await providers().sms().send({ to: '+33612345678', from: '+33700000000', body: 'x' })
    assert.deepEqual(sent, ['+33612345678'])
  } finally {
    setProviders(undefined)
  }
})

Deno.test('provider errors: HTTP statuses map to actionable codes', () => {
  assert.deepEqual([401, 403, 404, 400, 422, 429, 500, 503, undefined].map(codeForStatus), ['auth', 'auth', 'not_found', 'invalid', 'invalid', 'rate_limited', 'unavailable', 'unavailable', 'unavailable'])
  assert.equal(new ProviderError('x', 'unavailable', 'm').retryable, true)
  assert.equal(new ProviderError('x', 'rejected', 'm').retryable, false)
})
