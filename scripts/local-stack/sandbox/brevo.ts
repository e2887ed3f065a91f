/**
 * Brevo's transactional e-mail API under /brevo/v3, as @getbrevo/brevo sends it
 * (JSON, `api-key` header):
 *   POST /smtp/email          relays the message by SMTP to the mail catcher
 *                             (custom headers such as List-Unsubscribe kept,
 *                             {{params.X}} substituted), answers { messageId }
 *                             or { messageIds } for messageVersions
 *   GET  /smtp/emails?email=  what was sent (Brevo's transactional log shape)
 *   GET  /account             a plausible account
 * Events: `triggerEvent` POSTs a Brevo transactional webhook (delivered,
 * opened, click, hard_bounce, soft_bounce, unsubscribed, spam, blocked…) and
 * `triggerReply` an inbound-parsing webhook, both with
 * `Authorization: Bearer <BREVO_WEBHOOK_TOKEN>`.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import nodemailer, { type Transporter } from 'nodemailer'
import { z } from 'zod'
import { HttpError, parseJson, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

const Address = z.object({ email: z.email(), name: z.string().optional() }).loose()
const SendSmtpEmail = z.object({
  sender: z.object({ email: z.email().optional(), name: z.string().optional(), id: z.number().optional() }).loose().optional(),
  to: z.array(Address).min(1).optional(),
  cc: z.array(Address).optional(),
  bcc: z.array(Address).optional(),
  replyTo: Address.optional(),
  subject: z.string().optional(),
  htmlContent: z.string().optional(),
  textContent: z.string().optional(),
  headers: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  templateId: z.number().optional(),
  attachment: z.array(z.object({ name: z.string(), content: z.string().optional(), url: z.string().optional() })).optional(),
  messageVersions: z.array(z.object({ to: z.array(Address).min(1), params: z.record(z.string(), z.unknown()).optional(), subject: z.string().optional(), htmlContent: z.string().optional(), textContent: z.string().optional(), cc: z.array(Address).optional(), bcc: z.array(Address).optional(), replyTo: Address.optional() }).loose()).optional(),
  scheduledAt: z.string().optional(),
  batchId: z.string().optional(),
}).loose()

export const BREVO_EVENTS = ['request', 'delivered', 'opened', 'unique_opened', 'click', 'hard_bounce', 'soft_bounce', 'blocked', 'spam', 'invalid_email', 'deferred', 'unsubscribed', 'error', 'proxy_open'] as const
export type BrevoEvent = (typeof BREVO_EVENTS)[number]

export interface SentEmail {
  messageId: string
  uuid: string
  email: string
  from: string
  subject: string
  tags: string[]
  headers: Record<string, string>
  date: string
  text: string
}

const brevoError = (status: number, code: string, message: string) => new HttpError(status, message, { code, message })

function fill(s: string | undefined, params: Record<string, unknown> | undefined): string | undefined {
  if (s === undefined || !params) return s
  return s.replace(/\{\{\s*params\.([\w-]+)\s*\}\}/g, (_, k: string) => (params[k] === undefined ? '' : String(params[k])))
}

const fmtDate = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19)

export function createBrevo(ctx: SandboxContext) {
  const sent: SentEmail[] = []
  const transport: Transporter = nodemailer.createTransport({ host: '127.0.0.1', port: ctx.cfg.ports.smtp, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 })
  let webhookSeq = 1_000

  const webhookHeaders = () => ({ 'content-type': 'application/json', authorization: `Bearer ${ctx.env.BREVO_WEBHOOK_TOKEN ?? ''}` })

  async function send(r: SandboxRequest) {
    const parsed = SendSmtpEmail.safeParse(parseJson(r.body))
    if (!parsed.success) {
      const i = parsed.error.issues[0]
      throw brevoError(400, 'invalid_parameter', `${i.path.join('.') || 'body'} is invalid: ${i.message}`)
    }
    const m = parsed.data
    if (!m.sender?.email) throw brevoError(400, 'missing_parameter', 'sender is missing')
    if (m.templateId !== undefined) throw brevoError(400, 'invalid_parameter', 'templateId is not supported by the sandbox: send htmlContent/textContent')
    const versions = m.messageVersions?.length ? m.messageVersions : m.to ? [{}] : []
    if (!versions.length) throw brevoError(400, 'missing_parameter', 'to is missing')
    if (!m.htmlContent && !m.textContent && !m.messageVersions?.some((v) => v.htmlContent || v.textContent)) {
      throw brevoError(400, 'missing_parameter', 'htmlContent or textContent is missing')
    }
    if (!m.subject && !m.messageVersions?.every((v) => v.subject)) throw brevoError(400, 'missing_parameter', 'subject is missing')

    const ids: string[] = []
    for (const v of versions as z.infer<typeof SendSmtpEmail>[]) {
      const to = v.to ?? m.to!
      const params = { ...m.params, ...v.params }
      const messageId = `<${randomBytes(10).toString('hex')}.${Date.now()}@smtp-relay.mailin.fr>`
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, val]) => [k, String(val)]))
      if (m.tags?.length) headers['X-Mailin-Tag'] = m.tags.join(',')
      const html = fill(v.htmlContent ?? m.htmlContent, params)
      const text = fill(v.textContent ?? m.textContent, params)
      const subject = fill(v.subject ?? m.subject, params) ?? ''
      await transport.sendMail({
        messageId,
        from: { name: m.sender.name ?? '', address: m.sender.email },
        to: to.map((a) => ({ name: a.name ?? '', address: a.email })),
        cc: (v.cc ?? m.cc)?.map((a) => ({ name: a.name ?? '', address: a.email })),
        bcc: (v.bcc ?? m.bcc)?.map((a) => ({ name: a.name ?? '', address: a.email })),
        replyTo: (v.replyTo ?? m.replyTo) ? { name: (v.replyTo ?? m.replyTo)!.name ?? '', address: (v.replyTo ?? m.replyTo)!.email } : undefined,
        subject,
        html,
        text,
        headers,
        attachments: m.attachment?.filter((a) => a.content).map((a) => ({ filename: a.name, content: Buffer.from(a.content!, 'base64') })),
      })
      for (const a of to) {
        sent.unshift({ messageId, uuid: randomUUID(), email: a.email.toLowerCase(), from: m.sender.email, subject, tags: m.tags ?? [], headers, date: new Date().toISOString(), text: text ?? '' })
      }
      if (sent.length > 2_000) sent.length = 2_000
      ids.push(messageId)
      ctx.record({ provider: 'brevo', direction: 'in', method: 'POST', path: '/smtp/email', status: 201, summary: `${subject} → ${to.map((a) => a.email).join(', ')}` })
      if (ctx.config.brevoAutoDelivered) void triggerEvent({ messageId, event: 'delivered' }).catch(() => {})
    }
    return sendJson(r.res, 201, m.messageVersions?.length ? { messageIds: ids } : { messageId: ids[0] })
  }

  async function triggerEvent(input: { messageId: string; event: BrevoEvent; email?: string; link?: string; reason?: string; url?: string }) {
    const msg = sent.find((s) => s.messageId === input.messageId && (!input.email || s.email === input.email.toLowerCase()))
    if (!msg) throw new HttpError(404, `unknown messageId ${input.messageId}`)
    const now = new Date()
    const ts = Math.floor(now.getTime() / 1000)
    const payload: Record<string, unknown> = {
      event: input.event,
      email: msg.email,
      id: webhookSeq++,
      date: fmtDate(now),
      ts,
      'message-id': msg.messageId,
      ts_event: ts,
      ts_epoch: now.getTime(),
      subject: msg.subject,
      tag: msg.tags[0] ?? '',
      tags: msg.tags,
      sending_ip: '127.0.0.1',
      'X-Mailin-custom': msg.headers['X-Mailin-custom'] ?? '',
    }
    if (input.event === 'click') payload.link = input.link ?? 'https://example.com/'
    if (['hard_bounce', 'soft_bounce', 'blocked', 'invalid_email', 'deferred', 'error'].includes(input.event)) {
      payload.reason = input.reason ?? (input.event === 'hard_bounce' ? '550 5.1.1 User unknown' : 'sandbox')
    }
    if (['opened', 'unique_opened', 'click', 'proxy_open'].includes(input.event)) payload.user_agent = 'Mozilla/5.0 (sandbox)'
    return ctx.deliver('brevo', input.event, input.url ?? ctx.config.brevoWebhookUrl, JSON.stringify(payload), webhookHeaders())
  }

  /** The contact answers: Brevo's inbound-parsing webhook for a reply to `messageId`. */
  async function triggerReply(input: { messageId: string; text?: string; html?: string; from?: string; to?: string; url?: string }) {
    const msg = sent.find((s) => s.messageId === input.messageId)
    if (!msg) throw new HttpError(404, `unknown messageId ${input.messageId}`)
    const text = input.text ?? 'Bonjour, oui je suis intéressé(e), pouvez-vous me rappeler ?'
    const replyTo = input.to ?? msg.headers['Reply-To'] ?? msg.from
    const item = {
      Uuid: [randomUUID()],
      MessageId: `<${randomBytes(8).toString('hex')}@mail.example.test>`,
      InReplyTo: msg.messageId,
      From: { Name: null, Address: input.from ?? msg.email },
      To: [{ Name: null, Address: replyTo }],
      Cc: null,
      ReplyTo: null,
      SentAtDate: new Date().toUTCString(),
      Subject: `RE: ${msg.subject}`,
      Attachments: [],
      Headers: { 'In-Reply-To': msg.messageId, References: msg.messageId, 'Message-ID': '' },
      ExtractedMarkdownMessage: text,
      ExtractedMarkdownSignature: null,
      RawHtmlBody: input.html ?? `<div>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</div>`,
      RawTextBody: text,
      SpamScore: 0.1,
    }
    item.Headers['Message-ID'] = item.MessageId
    return ctx.deliver('brevo', 'inbound', input.url ?? ctx.config.brevoInboundUrl, JSON.stringify({ items: [item] }), webhookHeaders())
  }

  async function handle(r: SandboxRequest) {
    const key = r.req.headers['api-key']
    if (!key) throw brevoError(401, 'unauthorized', 'Key not found')
    if (key !== ctx.env.BREVO_API_KEY) throw brevoError(401, 'unauthorized', 'API Key is not enabled')
    if (r.method === 'POST' && r.path === '/smtp/email') return send(r)
    if (r.method === 'GET' && r.path === '/smtp/emails') {
      const email = r.url.searchParams.get('email')?.toLowerCase()
      const messageId = r.url.searchParams.get('messageId')
      const list = sent.filter((s) => (!email || s.email === email) && (!messageId || s.messageId === messageId))
      return sendJson(r.res, 200, { count: list.length, transactionalEmails: list.map((s) => ({ email: s.email, subject: s.subject, messageId: s.messageId, uuid: s.uuid, date: s.date, from: s.from, tags: s.tags })) })
    }
    if (r.method === 'GET' && r.path === '/account') {
      return sendJson(r.res, 200, { email: 'sandbox@immo-ai.local', firstName: 'Sandbox', lastName: 'Brevo', companyName: 'immo-ai (sandbox)', plan: [{ type: 'free', credits: 100000, creditsType: 'sendLimit' }], relay: { enabled: true, data: { userName: 'sandbox', relay: '127.0.0.1', port: ctx.cfg.ports.smtp } } })
    }
    throw brevoError(404, 'not_found', `${r.method} /v3${r.path} is not simulated by the sandbox`)
  }

  return { handle, triggerEvent, triggerReply, sent, close: () => transport.close() }
}
