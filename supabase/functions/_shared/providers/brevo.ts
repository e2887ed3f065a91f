/**
 * E-mail provider over the official @getbrevo/brevo SDK (3.x, axios-based).
 * BREVO_BASE_URL replaces https://api.brevo.com/v3 (the sandbox locally,
 * which relays to the mail catcher). Webhooks carry BREVO_WEBHOOK_TOKEN as a
 * bearer token (Brevo's webhook "token" authentication).
 */
import { SendSmtpEmail, TransactionalEmailsApi, TransactionalEmailsApiApiKeys } from '@getbrevo/brevo'
import type { BrevoEnv } from './config.ts'
import { codeForStatus, type EmailMessage, type EmailProvider, ProviderError } from './types.ts'

interface AxiosLike {
  response?: { status?: number; data?: { code?: string; message?: string }; headers?: Record<string, string> }
  message?: string
}

export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e
  const err = e as AxiosLike
  const status = err?.response?.status
  const body = err?.response?.data
  const retry = Number(err?.response?.headers?.['retry-after'] ?? NaN)
  const message = body?.message ?? err?.message ?? String(e)
  return new ProviderError('brevo', codeForStatus(status), message, { status, providerCode: body?.code, retryAfterMs: Number.isFinite(retry) ? retry * 1000 : undefined, cause: e })
}

/** Constant-time comparison of two strings. */
export function safeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let diff = x.length ^ y.length
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return diff === 0
}

export class BrevoProvider implements EmailProvider {
  readonly name = 'brevo'
  private api: TransactionalEmailsApi

  constructor(private env: BrevoEnv) {
    this.api = new TransactionalEmailsApi()
    if (env.BREVO_BASE_URL) this.api.basePath = env.BREVO_BASE_URL.replace(/\/$/, '')
    this.api.setApiKey(TransactionalEmailsApiApiKeys.apiKey, env.BREVO_API_KEY)
  }

  async send(msg: EmailMessage): Promise<{ providerMessageId: string }> {
    if (!msg.html && !msg.text) throw new ProviderError('brevo', 'invalid', 'an e-mail needs an HTML or a text body')
    const m = new SendSmtpEmail()
    m.sender = { email: msg.from.email, name: msg.from.name }
    m.to = msg.to.map((a) => ({ email: a.email, name: a.name }))
    if (msg.replyTo) m.replyTo = { email: msg.replyTo.email, name: msg.replyTo.name }
    m.subject = msg.subject
    if (msg.html) m.htmlContent = msg.html
    if (msg.text) m.textContent = msg.text
    if (msg.headers && Object.keys(msg.headers).length) m.headers = msg.headers
    if (msg.tags?.length) m.tags = msg.tags
    if (msg.attachments?.length) m.attachment = msg.attachments.map((a) => ({ name: a.name, content: a.contentBase64 }))
    try {
      const res = await this.api.sendTransacEmail(m)
      const id = res.body.messageId ?? res.body.messageIds?.[0]
      if (!id) throw new ProviderError('brevo', 'unavailable', 'no messageId in the answer')
      return { providerMessageId: id }
    } catch (e) {
      throw toProviderError(e)
    }
  }

  verifyWebhook(req: { headers: Headers }): boolean {
    const auth = req.headers.get('authorization') ?? ''
    const m = /^Bearer\s+(.+)$/i.exec(auth)
    return !!m && safeEqual(m[1].trim(), this.env.BREVO_WEBHOOK_TOKEN)
  }
}
