/**
 * SMS and WhatsApp provider over the official `twilio` SDK. Locally, a
 * RequestClient subclass rewrites https://api.twilio.com (and regional
 * hosts) to TWILIO_API_BASE_URL, the sandbox. Webhook signatures are checked
 * with the SDK's own validateRequest.
 */
import twilio from 'twilio'
import type RequestClient from 'twilio/lib/base/RequestClient'
import type { TwilioEnv } from './config.ts'
import { codeForStatus, ProviderError, type SmsMessage, type SmsProvider, type SmsResult } from './types.ts'

/** A RequestClient that sends every Twilio API call to `baseUrl` instead of *.twilio.com. */
export class RewritingRequestClient extends twilio.RequestClient {
  constructor(private baseUrl: string) {
    super()
  }
  override request<T>(opts: RequestClient.RequestOptions<T>) {
    return super.request<T>({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/i, this.baseUrl.replace(/\/$/, '')) })
  }
}

/** Twilio error codes that mean "this recipient cannot be messaged", not "the request is malformed". */
const REJECTED = new Set([21610, 21612, 21614, 21408, 63016])

export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e
  const err = e as { status?: number; code?: number; message?: string }
  if (typeof err?.status === 'number') {
    const code = err.code !== undefined && REJECTED.has(err.code) ? 'rejected' : codeForStatus(err.status)
    return new ProviderError('twilio', code, err.message ?? 'error', { status: err.status, providerCode: err.code, cause: e })
  }
  return new ProviderError('twilio', 'unavailable', err?.message ?? String(e), { cause: e })
}

const channelAddress = (n: string, channel: 'sms' | 'whatsapp') => (channel === 'whatsapp' && !n.startsWith('whatsapp:') ? `whatsapp:${n}` : n)

export class TwilioProvider implements SmsProvider {
  readonly name = 'twilio'
  readonly client: twilio.Twilio

  constructor(private env: TwilioEnv) {
    this.client = twilio(env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, env.TWILIO_API_BASE_URL ? { httpClient: new RewritingRequestClient(env.TWILIO_API_BASE_URL) } : {})
  }

  async send(msg: SmsMessage): Promise<SmsResult> {
    const channel = msg.channel ?? 'sms'
    try {
      const m = await this.client.messages.create({
        to: channelAddress(msg.to, channel),
        from: channelAddress(msg.from, channel),
        body: msg.body,
        statusCallback: msg.statusCallback,
        mediaUrl: msg.mediaUrls,
      })
      return { providerMessageId: m.sid, status: m.status, segments: Number(m.numSegments ?? 1) }
    } catch (e) {
      throw toProviderError(e)
    }
  }

  verifyWebhook(url: string, params: Record<string, string>, signature: string | null): boolean {
    if (!signature) return false
    return twilio.validateRequest(this.env.TWILIO_AUTH_TOKEN, signature, url, params)
  }
}
