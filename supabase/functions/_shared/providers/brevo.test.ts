import assert from 'node:assert/strict'
import { BrevoProvider } from './brevo.ts'
import { createRegistry } from './mod.ts'
import { ProviderError } from './types.ts'
import { env, noSandbox } from './testing.ts'

const email = () => createRegistry(env).email()

Deno.test({ name: 'brevo adapter: sends through the SDK; the mail catcher gets it with RFC 8058 headers', ignore: noSandbox }, async () => {
  const to = `deno-${crypto.randomUUID().slice(0, 8)}@example.test`
  const { providerMessageId } = await email().send({
    from: { email: 'agence@example.test', name: 'Agence Kervilix' },
    to: [{ email: to, name: 'Paul' }],
    subject: 'Votre estimation',
    html: '<p>Bonjour Paul</p>',
    text: 'Bonjour Paul',
    headers: { 'List-Unsubscribe': '<https://app.example.test/u/x>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    tags: ['deno'],
  })
  assert.match(providerMessageId, /^<.+>$/)
  const [m] = await fetch(`${env.MAIL_URL}/api/messages?to=${encodeURIComponent(to)}`).then((r) => r.json())
  assert.equal(m.subject, 'Votre estimation')
  assert.equal(m.headers['message-id'], providerMessageId)
  assert.equal(m.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click')
})

Deno.test({ name: 'brevo adapter: errors map to ProviderError codes', ignore: noSandbox }, async () => {
  const bad = new BrevoProvider({ BREVO_API_KEY: 'xkeysib-wrong', BREVO_BASE_URL: env.BREVO_BASE_URL, BREVO_WEBHOOK_TOKEN: env.BREVO_WEBHOOK_TOKEN })
  const e = await bad.send({ from: { email: 'a@example.test' }, to: [{ email: 'b@example.test' }], subject: 's', text: 't' }).catch((x) => x)
  assert.ok(e instanceof ProviderError)
  assert.equal(e.code, 'auth')
  assert.equal(e.status, 401)
  const empty = await email().send({ from: { email: 'a@example.test' }, to: [{ email: 'b@example.test' }], subject: 's' }).catch((x) => x)
  assert.equal(empty.code, 'invalid')
})

Deno.test('brevo adapter: webhook token check', () => {
  const p = new BrevoProvider({ BREVO_API_KEY: 'k', BREVO_WEBHOOK_TOKEN: 'the-secret-token' })
  assert.equal(p.verifyWebhook({ headers: new Headers({ authorization: 'Bearer the-secret-token' }) }), true)
  assert.equal(p.verifyWebhook({ headers: new Headers({ authorization: 'Bearer the-secret-tokeN' }) }), false)
  assert.equal(p.verifyWebhook({ headers: new Headers() }), false)
})
