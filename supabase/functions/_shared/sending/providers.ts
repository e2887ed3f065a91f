/**
 * The sending engine's view of the providers: the shared adapters
 * (_shared/providers: @getbrevo/brevo and twilio SDKs, sandbox base URLs)
 * for sending, plus `find()`, which asks the provider whether a message with
 * our reference already left — the worker calls it before re-sending a row a
 * crashed attempt left in `sending`.
 *
 * Every request carries the ledger's idempotency key: Brevo as the
 * `X-Mailin-Custom` header (echoed in its webhooks) and a `send:<id>` tag
 * (listed by its transactional log), Twilio in the status callback URL
 * (`?send=<id>`, covered by X-Twilio-Signature).
 */
import { TransactionalEmailsApi, TransactionalEmailsApiApiKeys } from '@getbrevo/brevo'
import { parseEnv } from '../config.ts'
import { brevoEnvSchema } from '../providers/config.ts'
import { providers as registry, ProviderError, TwilioProvider } from '../providers/mod.ts'

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
  statusCallback?: string
}
export interface Sent {
  providerMessageId: string
}

export interface EmailSender {
  name: 'brevo'
  send(m: OutgoingEmail): Promise<Sent>
  find(m: OutgoingEmail, since: Date): Promise<Sent | null>
}
export interface SmsSender {
  name: 'twilio'
  send(m: OutgoingSms): Promise<Sent>
  find(m: OutgoingSms, since: Date): Promise<Sent | null>
}

/** A provider error that a retry cannot fix (invalid address, rejected content, bad credentials). */
export class PermanentSendError extends Error {}

/** Retryable provider errors (unavailable, rate limited) stay ProviderErrors; the others become PermanentSendError. */
function classify(e: unknown): Error {
  if (e instanceof ProviderError) return e.retryable ? e : new PermanentSendError(e.message)
  return e instanceof Error ? e : new Error(String(e))
}

export function brevoSender(): EmailSender {
  const env = parseEnv(brevoEnvSchema, Deno.env.toObject())
  const log = new TransactionalEmailsApi()
  if (env.BREVO_BASE_URL) log.basePath = env.BREVO_BASE_URL.replace(/\/$/, '')
  log.setApiKey(TransactionalEmailsApiApiKeys.apiKey, env.BREVO_API_KEY)
  return {
    name: 'brevo',
    async send(m) {
      try {
        return await registry().email().send({
          from: m.from, to: [{ email: m.to }], replyTo: m.replyTo ? { email: m.replyTo } : undefined, subject: m.subject,
          text: m.text, html: m.html, headers: { ...m.headers, 'X-Mailin-Custom': m.reference, 'Idempotency-Key': m.reference },
          tags: [`send:${m.sendId}`],
        })
      } catch (e) {
        throw classify(e)
      }
    },
    async find(m, since) {
      // The transactional log, by recipient, since the claim: a message tagged with this send left already.
      const r = await log.getTransacEmailsList(m.to, undefined, undefined, since.toISOString().slice(0, 10), undefined, 'desc', 100)
      const hit = (r.body.transactionalEmails ?? []).find((x) => (x.tags ?? []).includes(`send:${m.sendId}`))
      return hit ? { providerMessageId: hit.messageId } : null
    },
  }
}

export function twilioSender(): SmsSender {
  const addr = (n: string, wa: boolean) => (wa ? `whatsapp:${n}` : n)
  const sms = () => registry().sms()
  return {
    name: 'twilio',
    async send(m) {
      try {
        const r = await sms().send({ to: m.to, from: m.from, body: m.body, channel: m.whatsapp ? 'whatsapp' : 'sms', statusCallback: m.statusCallback })
        return { providerMessageId: r.providerMessageId }
      } catch (e) {
        throw classify(e)
      }
    },
    async find(m, since) {
      const p = sms()
      if (!(p instanceof TwilioProvider)) return null
      const list = await p.client.messages.list({ to: addr(m.to, m.whatsapp), dateSentAfter: since, limit: 50 })
      const hit = list.find((x) => x.body === m.body)
      return hit ? { providerMessageId: hit.sid } : null
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
