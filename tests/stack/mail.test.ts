/**
 * The mail catcher: SMTP in (nodemailer), JSON API out, filters and deletes.
 * Every test uses its own addresses, so parallel suites sharing the stack
 * never see each other's mail.
 */
import { randomUUID } from 'node:crypto'
import nodemailer from 'nodemailer'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { env } from '../helpers/stack'

const Message = z.object({
  id: z.string().min(1),
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  date: z.string().datetime(),
  text: z.string(),
  html: z.string(),
  headers: z.record(z.string(), z.string()),
})

const transport = nodemailer.createTransport({ host: env('SMTP_HOST'), port: Number(env('SMTP_PORT')), secure: false, ignoreTLS: true })
const mailUrl = env('MAIL_URL')
const addr = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.test`

async function inbox(to: string) {
  const r = await fetch(`${mailUrl}/api/messages?to=${encodeURIComponent(to)}`)
  expect(r.status).toBe(200)
  return z.array(Message).parse(await r.json())
}

afterAll(() => transport.close())

describe('mail catcher', () => {
  it('accepts a message by SMTP and exposes it through the API', async () => {
    const to = addr('lea')
    const info = await transport.sendMail({
      from: '"Agence du Port" <agence@example.test>',
      to,
      subject: 'Estimation de votre appartement',
      text: 'Bonjour Léa, voici notre estimation.',
      html: '<p>Bonjour <b>Léa</b>, voici notre estimation.</p>',
      headers: {
        'List-Unsubscribe': '<https://app.example.test/u/abc>, <mailto:unsub@example.test>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'X-Immo-Message-Id': 'm-42',
      },
    })
    expect(info.accepted).toEqual([to])
    const [m] = await inbox(to)
    expect(m.subject).toBe('Estimation de votre appartement')
    expect(m.from).toBe('agence@example.test')
    expect(m.to).toEqual([to])
    expect(m.text).toContain('Bonjour Léa')
    expect(m.html).toContain('<b>Léa</b>')
    expect(m.headers['list-unsubscribe']).toBe('<https://app.example.test/u/abc>, <mailto:unsub@example.test>')
    expect(m.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click')
    expect(m.headers['x-immo-message-id']).toBe('m-42')

    const one = await fetch(`${mailUrl}/api/messages/${m.id}`)
    expect(Message.parse(await one.json())).toEqual(m)
  })

  it('lists newest first and filters by any recipient, case-insensitively', async () => {
    const a = addr('a')
    const b = addr('b')
    await transport.sendMail({ from: 'x@example.test', to: a, subject: 'premier', text: '1' })
    await transport.sendMail({ from: 'x@example.test', to: b, cc: a.toUpperCase(), subject: 'deuxième', text: '2' })
    await transport.sendMail({ from: 'x@example.test', to: b, bcc: a, subject: 'troisième', text: '3' })
    expect((await inbox(a)).map((m) => m.subject)).toEqual(['troisième', 'deuxième', 'premier'])
    expect((await inbox(b.toUpperCase())).map((m) => m.subject)).toEqual(['troisième', 'deuxième'])
    const limited = await fetch(`${mailUrl}/api/messages?to=${a}&limit=1`).then((r) => r.json())
    expect(limited).toHaveLength(1)
  })

  it('serves the HTML body with scripts blocked, and a text fallback', async () => {
    const to = addr('html')
    await transport.sendMail({ from: 'x@example.test', to, subject: 'html', html: '<h1>Titre</h1><script>alert(1)</script>' })
    await transport.sendMail({ from: 'x@example.test', to, subject: 'texte', text: 'Seulement <du> texte' })
    const [textOnly, withHtml] = await inbox(to)
    const r1 = await fetch(`${mailUrl}/api/messages/${withHtml.id}/html`)
    expect(r1.headers.get('content-type')).toMatch(/^text\/html/)
    expect(r1.headers.get('content-security-policy')).toContain("script-src 'none'")
    expect(await r1.text()).toContain('<h1>Titre</h1>')
    const r2 = await fetch(`${mailUrl}/api/messages/${textOnly.id}/html`)
    expect(await r2.text()).toContain('Seulement &lt;du&gt; texte')
  })

  it('keeps the raw source, decodes encoded subjects and folded headers', async () => {
    const to = addr('raw')
    await transport.sendMail({
      from: 'x@example.test',
      to,
      subject: 'Visite prévue — 12 rue des Écoles, à très bientôt ✨',
      text: 'ok',
      headers: { 'X-Long': 'a'.repeat(60) + ' ' + 'b'.repeat(60) },
    })
    const [m] = await inbox(to)
    expect(m.subject).toBe('Visite prévue — 12 rue des Écoles, à très bientôt ✨')
    expect(m.headers['x-long']).toBe('a'.repeat(60) + ' ' + 'b'.repeat(60))
    const raw = await fetch(`${mailUrl}/api/messages/${m.id}/raw`).then((r) => r.text())
    expect(raw).toMatch(/^Subject: =\?UTF-8\?/m)
  })

  it('deletes by recipient, by id, and answers 404 for unknown ids', async () => {
    const keep = addr('keep')
    const drop = addr('drop')
    await transport.sendMail({ from: 'x@example.test', to: keep, subject: 'garder', text: '1' })
    await transport.sendMail({ from: 'x@example.test', to: drop, subject: 'jeter', text: '2' })
    await transport.sendMail({ from: 'x@example.test', to: drop, subject: 'jeter aussi', text: '3' })
    const del = await fetch(`${mailUrl}/api/messages?to=${drop}`, { method: 'DELETE' }).then((r) => r.json())
    expect(del).toEqual({ deleted: 2 })
    expect(await inbox(drop)).toEqual([])
    const [k] = await inbox(keep)
    expect(k.subject).toBe('garder')
    expect((await fetch(`${mailUrl}/api/messages/${k.id}`, { method: 'DELETE' })).status).toBe(200)
    expect((await fetch(`${mailUrl}/api/messages/${k.id}`)).status).toBe(404)
    expect((await fetch(`${mailUrl}/api/messages/${randomUUID()}/html`)).status).toBe(404)
  })

  it('holds a ?wait= request until a message for that recipient arrives', async () => {
    const to = addr('wait')
    const other = addr('other')
    const pending = fetch(`${mailUrl}/api/messages?to=${encodeURIComponent(to)}&wait=20000`).then((r) => r.json())
    // A message for someone else must not release the wait.
    await transport.sendMail({ from: 'x@example.test', to: other, subject: 'pas pour vous', text: '0' })
    await transport.sendMail({ from: 'x@example.test', to, subject: 'attendu', text: '1' })
    const got = z.array(Message).parse(await pending)
    expect(got.map((m) => m.subject)).toEqual(['attendu'])
  })

  it('serves the French web inbox', async () => {
    const r = await fetch(`${mailUrl}/`)
    expect(r.status).toBe(200)
    const html = await r.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('Boîte de réception locale')
    expect(html).toContain('/api/messages')
  })
})
