/**
 * The Brevo sandbox through the real @getbrevo/brevo SDK: the e-mail lands in
 * the mail catcher with its headers, events and replies come back as Brevo
 * webhooks carrying the webhook token.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { SendSmtpEmail, TransactionalEmailsApi, TransactionalEmailsApiApiKeys } from '@getbrevo/brevo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { env } from '../helpers/stack'

interface Hit { headers: Record<string, string | string[] | undefined>; body: string }
let receiver: Server
let hookUrl = ''
const hits: Hit[] = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      hits.push({ headers: req.headers, body })
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/brevo-webhook`
})
afterAll(() => new Promise<void>((r) => receiver.close(() => r())))

function api(key = env('BREVO_API_KEY')) {
  const a = new TransactionalEmailsApi()
  a.basePath = env('BREVO_BASE_URL')
  a.setApiKey(TransactionalEmailsApiApiKeys.apiKey, key)
  return a
}
const sandbox = (path: string, body: unknown) =>
  fetch(`${env('SANDBOX_URL')}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const inbox = (to: string) => fetch(`${env('MAIL_URL')}/api/messages?to=${encodeURIComponent(to)}`).then((r) => r.json() as Promise<{ subject: string; html: string; text: string; headers: Record<string, string>; from: string; to: string[] }[]>)

async function sendOne(to: string, extra: Partial<SendSmtpEmail> = {}) {
  const m = new SendSmtpEmail()
  m.sender = { name: 'Agence Plivardin', email: 'contact@agence.example.test' }
  m.to = [{ email: to, name: 'Léa Martin' }]
  m.subject = 'Votre projet à {{params.ville}}'
  m.htmlContent = '<p>Bonjour {{params.prenom}}, parlons de votre bien à {{ params.ville }}.</p>'
  m.textContent = 'Bonjour {{params.prenom}}'
  m.params = { prenom: 'Léa', ville: 'Lyon' }
  m.headers = { 'List-Unsubscribe': '<https://app.example.test/u/t0k3n>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Mailin-custom': 'msg:42' }
  m.tags = ['prospection', 'sequence-1']
  Object.assign(m, extra)
  return api().sendTransacEmail(m)
}

describe('brevo sandbox', () => {
  it('sends through the SDK and relays to the mail catcher with headers and params', async () => {
    const to = `lea-${randomUUID().slice(0, 8)}@example.test`
    const res = await sendOne(to)
    expect(res.response.statusCode).toBe(201)
    expect(res.body.messageId).toMatch(/^<.+@smtp-relay\.mailin\.fr>$/)
    const [mail] = await inbox(to)
    expect(mail.subject).toBe('Votre projet à Lyon')
    expect(mail.html).toContain('Bonjour Léa, parlons de votre bien à Lyon.')
    expect(mail.text).toBe('Bonjour Léa')
    expect(mail.from).toBe('contact@agence.example.test')
    expect(mail.headers['list-unsubscribe']).toBe('<https://app.example.test/u/t0k3n>')
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click')
    expect(mail.headers['message-id']).toBe(res.body.messageId)
    expect(mail.headers['x-mailin-tag']).toBe('prospection,sequence-1')
  })

  it('sends one message per messageVersion', async () => {
    const a = `a-${randomUUID().slice(0, 8)}@example.test`
    const b = `b-${randomUUID().slice(0, 8)}@example.test`
    // The SDK types version params as objects; Brevo takes any JSON value.
    const params = (p: Record<string, string>) => p as unknown as Record<string, object>
    const res = await sendOne(a, { to: undefined, messageVersions: [{ to: [{ email: a }], params: params({ prenom: 'Anne' }) }, { to: [{ email: b }], params: params({ prenom: 'Bruno' }), subject: 'Pour Bruno' }] })
    expect(res.body.messageIds).toHaveLength(2)
    expect((await inbox(a))[0].text).toBe('Bonjour Anne')
    expect((await inbox(b))[0].subject).toBe('Pour Bruno')
  })

  it('rejects a bad key and an incomplete message like Brevo', async () => {
    const bad = await api('xkeysib-wrong').sendTransacEmail(Object.assign(new SendSmtpEmail(), { sender: { email: 'a@example.test' }, to: [{ email: 'b@example.test' }], subject: 's', textContent: 't' })).catch((e) => e)
    // SDK 3.x rejects with axios's error: the answer is under `response`.
    expect(bad.response.status).toBe(401)
    expect(bad.response.data).toMatchObject({ code: 'unauthorized' })
    const incomplete = await api().sendTransacEmail(Object.assign(new SendSmtpEmail(), { to: [{ email: 'b@example.test' }], subject: 's', textContent: 't' })).catch((e) => e)
    expect(incomplete.response.status).toBe(400)
    expect(incomplete.response.data).toMatchObject({ code: 'missing_parameter', message: 'sender is missing' })
  })

  it('posts delivered, opened, click, hard_bounce and unsubscribed events with the webhook token', async () => {
    const to = `ev-${randomUUID().slice(0, 8)}@example.test`
    const { body } = await sendOne(to)
    for (const event of ['delivered', 'opened', 'click', 'hard_bounce', 'unsubscribed'] as const) {
      const r = await sandbox('/brevo/events', { messageId: body.messageId, event, link: event === 'click' ? 'https://app.example.test/r/1' : undefined, url: hookUrl })
      expect(r.status).toBe(200)
      expect((await r.json()).status).toBe(200)
    }
    const mine = hits.map((h) => ({ h, p: JSON.parse(h.body) })).filter((x) => x.p['message-id'] === body.messageId)
    expect(mine.map((x) => x.p.event)).toEqual(['delivered', 'opened', 'click', 'hard_bounce', 'unsubscribed'])
    for (const { h, p } of mine) {
      expect(h.headers.authorization).toBe(`Bearer ${env('BREVO_WEBHOOK_TOKEN')}`)
      expect(p.email).toBe(to)
      expect(p.subject).toBe('Votre projet à Lyon')
      expect(p.tags).toEqual(['prospection', 'sequence-1'])
      expect(p['X-Mailin-custom']).toBe('msg:42')
      expect(typeof p.ts_event).toBe('number')
    }
    expect(mine[2].p.link).toBe('https://app.example.test/r/1')
    expect(mine[3].p.reason).toMatch(/550/)
  })

  it('posts a reply as an inbound-parsing webhook linked to the original message', async () => {
    const to = `rep-${randomUUID().slice(0, 8)}@example.test`
    const { body } = await sendOne(to)
    const r = await sandbox('/brevo/reply', { messageId: body.messageId, text: 'Oui, rappelez-moi demain.', url: hookUrl })
    expect((await r.json()).status).toBe(200)
    const hit = hits.map((h) => JSON.parse(h.body)).find((p) => p.items?.[0]?.InReplyTo === body.messageId)
    expect(hit.items[0]).toMatchObject({ From: { Address: to }, Subject: 'RE: Votre projet à Lyon', RawTextBody: 'Oui, rappelez-moi demain.' })
    expect((await sandbox('/brevo/events', { messageId: '<nope@x>', event: 'opened', url: hookUrl })).status).toBe(404)
  })
})
