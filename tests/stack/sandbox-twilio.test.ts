/**
 * The Twilio sandbox through the real `twilio` SDK (a RequestClient that
 * rewrites api.twilio.com to the sandbox): SMS and WhatsApp sends, resources,
 * status callbacks and inbound messages signed so that
 * twilio.validateRequest accepts them.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'
import type RequestClient from 'twilio/lib/base/RequestClient'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { env } from '../helpers/stack'

interface Hit { path: string; signature: string; params: Record<string, string> }
let receiver: Server
let base = ''
const hits: Hit[] = []
const waiters: (() => void)[] = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      hits.push({ path: req.url!, signature: String(req.headers['x-twilio-signature']), params: Object.fromEntries(new URLSearchParams(body)) })
      waiters.splice(0).forEach((w) => w())
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>')
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => receiver.close(() => r())))

/** Waits (event-driven, no fixed delay) until `pred` holds over the callbacks received. */
async function until(pred: () => boolean) {
  while (!pred()) await new Promise<void>((r) => waiters.push(r))
}

class SandboxRequestClient extends twilio.RequestClient {
  request<T>(opts: RequestClient.RequestOptions<T>) {
    return super.request<T>({ ...opts, uri: opts.uri.replace(/^https:\/\/[^/]+\.twilio\.com/, env('TWILIO_API_BASE_URL')) })
  }
}
const client = (token = env('TWILIO_AUTH_TOKEN')) => twilio(env('TWILIO_ACCOUNT_SID'), token, { httpClient: new SandboxRequestClient() })
const sandbox = (path: string, body: unknown) =>
  fetch(`${env('SANDBOX_URL')}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('twilio sandbox', () => {
  it('sends an SMS and a WhatsApp message through the SDK', async () => {
    const sms = await client().messages.create({ to: '+33612345678', from: '+33700000001', body: 'Bonjour, estimation offerte ? STOP au 36xxx' })
    expect(sms.sid).toMatch(/^SM[0-9a-f]{32}$/)
    expect(sms.status).toBe('queued')
    expect(sms.numSegments).toBe('1')
    expect(sms.direction).toBe('outbound-api')
    const wa = await client().messages.create({ to: 'whatsapp:+33612345678', from: 'whatsapp:+33700000001', body: 'Bonjour 👋 une visite jeudi ?' })
    expect(wa.to).toBe('whatsapp:+33612345678')
    const fetched = await client().messages(wa.sid).fetch()
    expect(fetched.body).toBe('Bonjour 👋 une visite jeudi ?')
    const listed = await client().messages.list({ to: 'whatsapp:+33612345678', limit: 50 })
    expect(listed.map((m) => m.sid)).toContain(wa.sid)
  })

  it('counts segments like Twilio (GSM-7 vs UCS-2)', async () => {
    const long = await client().messages.create({ to: '+33612345678', from: '+33700000001', body: 'a'.repeat(161) })
    expect(long.numSegments).toBe('2')
    const unicode = await client().messages.create({ to: '+33612345678', from: '+33700000001', body: '✨'.repeat(71) })
    expect(unicode.numSegments).toBe('2')
  })

  it('sends sent then delivered status callbacks that twilio.validateRequest accepts', async () => {
    const url = `${base}/status?tenant=t1`
    const msg = await client().messages.create({ to: '+33611111111', from: '+33700000001', body: 'Rappel de votre visite', statusCallback: url })
    await until(() => hits.filter((h) => h.params.MessageSid === msg.sid).length >= 2)
    const mine = hits.filter((h) => h.params.MessageSid === msg.sid)
    expect(mine.map((h) => h.params.MessageStatus)).toEqual(['sent', 'delivered'])
    for (const h of mine) {
      expect(h.path).toBe('/status?tenant=t1')
      expect(twilio.validateRequest(env('TWILIO_AUTH_TOKEN'), h.signature, url, h.params)).toBe(true)
      expect(twilio.validateRequest('another-token', h.signature, url, h.params)).toBe(false)
      expect(twilio.validateRequest(env('TWILIO_AUTH_TOKEN'), h.signature, url, { ...h.params, MessageStatus: 'read' })).toBe(false)
    }
    expect((await client().messages(msg.sid).fetch()).status).toBe('delivered')
  })

  it('ends in undelivered with an error code when asked, and lets a test move a status by hand', async () => {
    const url = `${base}/status`
    const msg = await client().messages.create({ to: '+33622222222', from: '+33700000001', body: 'Test [sandbox:undelivered]', statusCallback: url })
    await until(() => hits.some((h) => h.params.MessageSid === msg.sid && h.params.MessageStatus === 'undelivered'))
    expect(hits.find((h) => h.params.MessageSid === msg.sid && h.params.MessageStatus === 'undelivered')!.params.ErrorCode).toBe('30003')
    const r = await sandbox('/twilio/status', { sid: msg.sid, status: 'read' })
    expect((await r.json()).delivery.status).toBe(200)
    expect((await client().messages(msg.sid).fetch()).status).toBe('read')
  })

  it('simulates inbound SMS and WhatsApp, signed for the target URL, and honours STOP', async () => {
    const url = `${base}/inbound`
    const r = await sandbox('/twilio/inbound', { from: '+33633333333', to: '+33700000002', body: 'STOP', url })
    expect((await r.json()).status).toBe(200)
    const hit = hits.find((h) => h.path === '/inbound' && h.params.From === '+33633333333')!
    expect(hit.params).toMatchObject({ Body: 'STOP', To: '+33700000002', SmsStatus: 'received', AccountSid: env('TWILIO_ACCOUNT_SID') })
    expect(twilio.validateRequest(env('TWILIO_AUTH_TOKEN'), hit.signature, url, hit.params)).toBe(true)
    const blocked = await client().messages.create({ to: '+33633333333', from: '+33700000002', body: 'encore ?' }).catch((e) => e)
    expect(blocked.code).toBe(21610)

    await sandbox('/twilio/inbound', { from: 'whatsapp:+33644444444', to: 'whatsapp:+33700000002', body: 'Oui pour jeudi', profileName: 'Léa', url })
    const wa = hits.find((h) => h.params.From === 'whatsapp:+33644444444')!
    expect(wa.params).toMatchObject({ WaId: '33644444444', ProfileName: 'Léa' })
    expect(twilio.validateRequest(env('TWILIO_AUTH_TOKEN'), wa.signature, url, wa.params)).toBe(true)
  })

  it('answers Twilio errors: bad credentials, invalid number, mixed channels, empty body', async () => {
    const auth = await client('wrong-token').messages.create({ to: '+33612345678', from: '+33700000001', body: 'x' }).catch((e) => e)
    expect([auth.status, auth.code]).toEqual([401, 20003])
    const invalid = await client().messages.create({ to: '+33600000001', from: '+33700000001', body: 'x' }).catch((e) => e)
    expect([invalid.status, invalid.code]).toEqual([400, 21211])
    const mixed = await client().messages.create({ to: 'whatsapp:+33612345678', from: '+33700000001', body: 'x' }).catch((e) => e)
    expect(mixed.code).toBe(21910)
    const empty = await client().messages.create({ to: '+33612345678', from: '+33700000001', body: '' }).catch((e) => e)
    expect(empty.code).toBe(21602)
  })
})
