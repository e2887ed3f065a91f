/**
 * Sending providers behind one interface, over the official SDKs:
 * @getbrevo/brevo for e-mail (TransactionalEmailsApi, base URL from
 * BREVO_BASE_URL so the local sandbox answers) and twilio for SMS and WhatsApp
 * (a request client that rewrites api.twilio.com to TWILIO_API_BASE_URL).
 *
 * Every request carries the ledger's idempotency key: Brevo as the
 * `X-Mailin-Custom` header and a tag `send:<id>`, Twilio as the
 * `I-Twilio-Idempotency-Token` header; `find()` asks the provider whether a
 * message with that reference already left (Brevo: events filtered by tag),
 * which the worker uses before re-sending a row it finds in `sending`.
 * (_shared/providers/ is another engineer's; this wraps the SDKs directly until
 * it offers these hooks.)
 */
import * as Brevo from '@getbrevo/brevo'
import twilio from 'twilio'
import { z } from 'zod'
import { loadEnv } from '../config.ts'

export const sendingEnvSchema = z.object({
  BREVO_API_KEY: z.string().min(1),
  BREVO_BASE_URL: z.url().optional(),
  TWILIO_ACCOUNT_SID: z.string().min(1),
  TWILIO_AUTH_TOKEN: z.string().min(1),
  TWILIO_API_BASE_URL: z.url().optional(),
  TWILIO_FROM: z.string().default('IMMOAI'),
})

export interface OutgoingEmail {
  reference: string
  sendId: string
  from: { name: string; email: string }
  replyTo?: string
  to: string
  subject: string
  text: string
  html: string
  headers: Record<string, string>
}
export interface OutgoingSms {
  reference: string
  sendId: string
  from: string
  to: string
  body: string
  whatsapp: boolean
}
export interface Sent {
  providerMessageId: string
}

export interface EmailProvider {
  name: 'brevo'
  send(m: OutgoingEmail): Promise<Sent>
  find(m: OutgoingEmail): Promise<Sent | null>
}
export interface SmsProvider {
  name: 'twilio'
  send(m: OutgoingSms): Promise<Sent>
  find(m: OutgoingSms, since: Date): Promise<Sent | null>
}

/** A provider error that a retry cannot fix (invalid address, rejected content). */
export class PermanentSendError extends Error {}

function classify(status: number | undefined, message: string): Error {
  return status !== undefined && status >= 400 && status < 500 && status !== 429 ? new PermanentSendError(message) : new Error(message)
}

export function brevoProvider(): EmailProvider {
  const env = loadEnv(sendingEnvSchema)
  const api = new Brevo.TransactionalEmailsApi(env.BREVO_BASE_URL)
  api.setApiKey(Brevo.TransactionalEmailsApiApiKeys.apiKey, env.BREVO_API_KEY)
  return {
    name: 'brevo',
    async send(m) {
      const mail = new Brevo.SendSmtpEmail()
      mail.sender = m.from
      mail.to = [{ email: m.to }]
      if (m.replyTo) mail.replyTo = { email: m.replyTo }
      mail.subject = m.subject
      mail.textContent = m.text
      mail.htmlContent = m.html
      mail.headers = { ...m.headers, 'X-Mailin-Custom': m.reference, 'Idempotency-Key': m.reference }
      mail.tags = [`send:${m.sendId}`]
      try {
        const r = await api.sendTransacEmail(mail)
        const id = r.body.messageId ?? r.body.messageIds?.[0]
        if (!id) throw new Error('brevo returned no messageId')
        return { providerMessageId: id }
      } catch (e) {
        const err = e as { statusCode?: number; response?: { status?: number }; body?: unknown; message?: string }
        throw classify(err.statusCode ?? err.response?.status, `brevo: ${err.message ?? JSON.stringify(err.body)}`)
      }
    },
    async find(m) {
      try {
        const r = await api.getEmailEventReport(10, 0, undefined, undefined, 7, m.to, undefined, `send:${m.sendId}`)
        const ev = (r.body.events ?? []).find((e) => e.messageId)
        return ev ? { providerMessageId: ev.messageId } : null
      } catch {
        return null
      }
    },
  }
}

export function twilioProvider(): SmsProvider {
  const env = loadEnv(sendingEnvSchema)
  const base = env.TWILIO_API_BASE_URL
  // The SDK's request client contract: request(opts) → { statusCode, body, headers }.
  const httpClient = {
    async request(opts: { method: string; uri: string; username?: string; password?: string; headers?: Record<string, string>; data?: Record<string, unknown>; params?: Record<string, unknown> }) {
      const url = new URL(base ? opts.uri.replace(/^https:\/\/[a-z.]*twilio\.com/, base.replace(/\/$/, '')) : opts.uri)
      for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
      const headers = new Headers(opts.headers ?? {})
      headers.set('authorization', 'Basic ' + btoa(`${opts.username}:${opts.password}`))
      let body: string | undefined
      if (opts.data) {
        const form = new URLSearchParams()
        for (const [k, v] of Object.entries(opts.data)) if (v !== undefined) form.set(k, String(v))
        body = form.toString()
        headers.set('content-type', 'application/x-www-form-urlencoded')
      }
      const res = await fetch(url, { method: opts.method.toUpperCase(), headers, body })
      return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) }
    },
  }
  // deno-lint-ignore no-explicit-any
  const client = twilio(env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, { httpClient: httpClient as any })
  const addr = (n: string, wa: boolean) => (wa ? `whatsapp:${n}` : n)
  return {
    name: 'twilio',
    async send(m) {
      try {
        const r = await client.messages.create({ to: addr(m.to, m.whatsapp), from: addr(m.from, m.whatsapp), body: m.body })
        return { providerMessageId: r.sid }
      } catch (e) {
        const err = e as { status?: number; message?: string }
        throw classify(err.status, `twilio: ${err.message}`)
      }
    },
    async find(m, since) {
      try {
        const list = await client.messages.list({ to: addr(m.to, m.whatsapp), dateSentAfter: since, limit: 20 })
        const hit = list.find((x) => x.body === m.body)
        return hit ? { providerMessageId: hit.sid } : null
      } catch {
        return null
      }
    },
  }
}

/** GSM-7 vs UCS-2 segment count of an SMS body. */
export function smsSegments(body: string): number {
  const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/.test(body)
  const ext = gsm ? (body.match(/[\^{}\\[~\]|€]/g) ?? []).length : 0
  const len = gsm ? body.length + ext : [...body].length
  const single = gsm ? 160 : 70
  const multi = gsm ? 153 : 67
  return len <= single ? 1 : Math.ceil(len / multi)
}
