import assert from 'node:assert/strict'
import { createRegistry } from './mod.ts'
import { TwilioProvider } from './twilio.ts'
import { ProviderError } from './types.ts'
import { env, noSandbox, receiver, sandbox } from './testing.ts'

const sms = () => createRegistry(env).sms()
const params = (body: string) => Object.fromEntries(new URLSearchParams(body))

Deno.test({ name: 'twilio adapter: SMS with a status callback the adapter verifies', ignore: noSandbox }, async () => {
  const rx = receiver()
  try {
    const url = `${rx.base}/twilio-webhook?kind=status`
    const r = await sms().send({ to: '+33612000001', from: '+33700000009', body: 'Visite confirmée jeudi 10 h', statusCallback: url })
    assert.match(r.providerMessageId, /^SM[0-9a-f]{32}$/)
    assert.equal(r.segments, 1)
    const hit = await rx.next((c) => params(c.body).MessageSid === r.providerMessageId && params(c.body).MessageStatus === 'delivered')
    const sig = hit.headers.get('x-twilio-signature')
    assert.equal(sms().verifyWebhook(url, params(hit.body), sig), true)
    assert.equal(sms().verifyWebhook(`${rx.base}/twilio-webhook`, params(hit.body), sig), false)
    assert.equal(sms().verifyWebhook(url, params(hit.body), null), false)
  } finally {
    await rx.close()
  }
})

Deno.test({ name: 'twilio adapter: WhatsApp channel prefixes both numbers', ignore: noSandbox }, async () => {
  const r = await sms().send({ to: '+33612000002', from: '+33700000009', body: 'Bonjour 👋', channel: 'whatsapp' })
  const msgs = await fetch(`${env.SANDBOX_URL}/_sandbox/twilio/messages`).then((x) => x.json())
  const m = msgs.find((x: { sid: string }) => x.sid === r.providerMessageId)
  assert.equal(m.to, 'whatsapp:+33612000002')
  assert.equal(m.from, 'whatsapp:+33700000009')
})

Deno.test({ name: 'twilio adapter: unsubscribed recipient is "rejected", bad number "invalid", bad token "auth"', ignore: noSandbox }, async () => {
  const rx = receiver()
  try {
    await sandbox('/twilio/inbound', { from: '+33612000003', to: '+33700000010', body: 'STOP', url: `${rx.base}/in` })
  } finally {
    await rx.close()
  }
  const rejected = await sms().send({ to: '+33612000003', from: '+33700000010', body: 'x' }).catch((x) => x)
  assert.ok(rejected instanceof ProviderError)
  assert.equal(rejected.code, 'rejected')
  assert.equal(rejected.providerCode, 21610)
  const invalid = await sms().send({ to: '+33600000001', from: '+33700000010', body: 'x' }).catch((x) => x)
  assert.equal(invalid.code, 'invalid')
  const auth = await new TwilioProvider({ TWILIO_ACCOUNT_SID: env.TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: 'wrong-token-123', TWILIO_API_BASE_URL: env.TWILIO_API_BASE_URL }).send({ to: '+33612000004', from: '+33700000010', body: 'x' }).catch((x) => x)
  assert.equal(auth.code, 'auth')
})
