/**
 * Twilio's Programmable Messaging under /twilio, as the `twilio` SDK sends it
 * (form-encoded, HTTP basic auth AccountSid:AuthToken):
 *   POST   /2010-04-01/Accounts/{Sid}/Messages.json        SMS and `whatsapp:` numbers
 *   GET    /2010-04-01/Accounts/{Sid}/Messages.json        list (To, From filters, PageSize)
 *   GET    /2010-04-01/Accounts/{Sid}/Messages/{SM}.json
 *   POST   /2010-04-01/Accounts/{Sid}/Messages/{SM}.json   Body="" redacts, Status=canceled
 *   DELETE /2010-04-01/Accounts/{Sid}/Messages/{SM}.json
 * Status callbacks go to the message's StatusCallback (queued → sent →
 * delivered by default), signed with X-Twilio-Signature exactly as Twilio does:
 * base64(HMAC-SHA1(auth token, URL + every POST parameter name and value,
 * sorted by name)). Inbound messages are simulated to the configured URL.
 *
 * Test doubles: To +33600000001 is "not a valid phone number" (21211); a body
 * containing [sandbox:undelivered] or [sandbox:failed] ends in that status;
 * after an inbound STOP, sending to that number fails with 21610.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { HttpError, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

export type TwilioStatus = 'accepted' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read' | 'canceled' | 'received'

export interface TwilioMessage {
  sid: string
  account_sid: string
  api_version: '2010-04-01'
  body: string
  date_created: string
  date_sent: string | null
  date_updated: string
  direction: 'outbound-api' | 'inbound'
  error_code: number | null
  error_message: string | null
  from: string
  to: string
  messaging_service_sid: string | null
  num_media: string
  num_segments: string
  price: string | null
  price_unit: string
  status: TwilioStatus
  subresource_uris: { media: string }
  uri: string
  /** Not part of Twilio's resource: kept for callbacks. */
  statusCallback?: string
}

/** X-Twilio-Signature for a POST of `params` to `url`. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + (Array.isArray(params[k]) ? (params[k] as string[]).map((v) => k + v).join('') : k + params[k]), url)
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64')
}

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000')
const E164 = /^\+[1-9]\d{6,14}$/
const GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/

export function segments(body: string): number {
  if (!body) return 1
  if (GSM.test(body)) {
    const len = [...body].reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0)
    return len <= 160 ? 1 : Math.ceil(len / 153)
  }
  const len = [...body].length
  return len <= 70 ? 1 : Math.ceil(len / 67)
}

const twilioError = (status: number, code: number, message: string) =>
  new HttpError(status, message, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status })

function formParams(body: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

export function createTwilio(ctx: SandboxContext) {
  const messages = new Map<string, TwilioMessage>()
  const stopped = new Set<string>() // "<from>|<to>" pairs that replied STOP
  const sid = () => ctx.env.TWILIO_ACCOUNT_SID
  const token = () => ctx.env.TWILIO_AUTH_TOKEN
  const base = (account: string) => `/2010-04-01/Accounts/${account}`

  function authorize(r: SandboxRequest, account: string) {
    const m = /^Basic\s+(.+)$/i.exec(r.req.headers.authorization ?? '')
    const [user, pass] = m ? Buffer.from(m[1], 'base64').toString('utf8').split(':') : []
    const ok = user === sid() && pass !== undefined && pass.length === token().length && timingSafeEqual(Buffer.from(pass), Buffer.from(token()))
    if (!ok || account !== sid()) throw twilioError(401, 20003, 'Authenticate')
  }

  const publicView = ({ statusCallback: _s, ...m }: TwilioMessage) => m

  function setStatus(m: TwilioMessage, status: TwilioStatus, error?: [number, string]) {
    m.status = status
    m.date_updated = rfc2822(new Date())
    if (status === 'sent' && !m.date_sent) m.date_sent = m.date_updated
    if (error) [m.error_code, m.error_message] = error
  }

  /** Posts one status callback for `m`, signed for its StatusCallback URL. */
  async function statusCallback(m: TwilioMessage) {
    if (!m.statusCallback) return undefined
    const params: Record<string, string> = {
      AccountSid: m.account_sid,
      ApiVersion: m.api_version,
      From: m.from,
      MessageSid: m.sid,
      MessageStatus: m.status,
      SmsSid: m.sid,
      SmsStatus: m.status,
      To: m.to,
    }
    if (m.error_code) params.ErrorCode = String(m.error_code)
    if (m.to.startsWith('whatsapp:')) Object.assign(params, { ChannelPrefix: 'whatsapp', ChannelToAddress: m.to.slice(10), ChannelInstallSid: 'XE' + '0'.repeat(32) })
    const body = new URLSearchParams(params).toString()
    return ctx.deliver('twilio', `status:${m.status}`, m.statusCallback, body, {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-twilio-signature': twilioSignature(token(), m.statusCallback, params),
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
    })
  }

  /** Moves `sid` to `status` and sends its callback (manual trigger from the page or a test). */
  async function triggerStatus(input: { sid: string; status: TwilioStatus; errorCode?: number }) {
    const m = messages.get(input.sid)
    if (!m) throw new HttpError(404, `unknown message ${input.sid}`)
    setStatus(m, input.status, input.errorCode ? [input.errorCode, 'Simulated by the sandbox'] : undefined)
    return { message: publicView(m), delivery: await statusCallback(m) }
  }

  async function lifecycle(m: TwilioMessage, outcome: 'delivered' | 'undelivered' | 'failed') {
    if (outcome === 'failed') {
      setStatus(m, 'failed', [30008, 'Unknown error'])
      await statusCallback(m)
      return
    }
    setStatus(m, 'sent')
    await statusCallback(m)
    if (outcome === 'undelivered') setStatus(m, 'undelivered', [30003, 'Unreachable destination handset'])
    else setStatus(m, 'delivered')
    await statusCallback(m)
  }

  async function create(r: SandboxRequest, account: string) {
    const p = formParams(r.body)
    const to = one(p.To) ?? ''
    const from = one(p.From)
    const service = one(p.MessagingServiceSid)
    const body = one(p.Body) ?? ''
    const media = p.MediaUrl === undefined ? [] : ([] as string[]).concat(p.MediaUrl)
    if (!to) throw twilioError(400, 21604, "A 'To' phone number is required.")
    const bare = to.replace(/^whatsapp:/, '')
    if (!E164.test(bare) || bare === '+33600000001') throw twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`)
    if (!from && !service) throw twilioError(400, 21603, "A 'From' phone number is required.")
    if (from && from.startsWith('whatsapp:') !== to.startsWith('whatsapp:')) {
      throw twilioError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel')
    }
    if (!body && !media.length) throw twilioError(400, 21602, 'Message body is required.')
    if (body.length > 1600) throw twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.')
    if (from && stopped.has(`${from}|${to}`)) throw twilioError(400, 21610, 'Attempt to send to unsubscribed recipient')
    const now = rfc2822(new Date())
    const msgSid = 'SM' + randomBytes(16).toString('hex')
    const m: TwilioMessage = {
      sid: msgSid,
      account_sid: account,
      api_version: '2010-04-01',
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? (to.startsWith('whatsapp:') ? 'whatsapp:+33700000000' : '+33700000000'),
      to,
      messaging_service_sid: service ?? null,
      num_media: String(media.length),
      num_segments: String(segments(body)),
      price: null,
      price_unit: 'EUR',
      status: 'queued',
      subresource_uris: { media: `${base(account)}/Messages/${msgSid}/Media.json` },
      uri: `${base(account)}/Messages/${msgSid}.json`,
      statusCallback: one(p.StatusCallback),
    }
    messages.set(msgSid, m)
    if (messages.size > 5_000) messages.delete(messages.keys().next().value!)
    ctx.record({ provider: 'twilio', direction: 'in', method: 'POST', path: '/Messages.json', status: 201, summary: `${m.from} → ${to}: ${body.slice(0, 60)}` })
    const outcome = /\[sandbox:failed\]/.test(body) ? 'failed' : /\[sandbox:undelivered\]/.test(body) ? 'undelivered' : 'delivered'
    if (ctx.config.twilioAutoStatus) setTimeout(() => void lifecycle(m, outcome).catch(() => {}), 10)
    return sendJson(r.res, 201, publicView(m))
  }

  /** A contact writes to one of our numbers: Twilio's incoming-message webhook. */
  async function triggerInbound(input: { from: string; to: string; body: string; mediaUrls?: string[]; profileName?: string; url?: string }) {
    const msgSid = 'SM' + randomBytes(16).toString('hex')
    const whatsapp = input.from.startsWith('whatsapp:')
    const params: Record<string, string> = {
      ToCountry: 'FR', ToState: '', SmsMessageSid: msgSid, NumMedia: String(input.mediaUrls?.length ?? 0), ToCity: '', FromZip: '', SmsSid: msgSid,
      FromState: '', SmsStatus: 'received', FromCity: '', Body: input.body, FromCountry: 'FR', To: input.to, ToZip: '', NumSegments: String(segments(input.body)),
      MessageSid: msgSid, AccountSid: sid(), From: input.from, ApiVersion: '2010-04-01',
    }
    input.mediaUrls?.forEach((u, i) => {
      params[`MediaUrl${i}`] = u
      params[`MediaContentType${i}`] = 'image/jpeg'
    })
    if (whatsapp) Object.assign(params, { ProfileName: input.profileName ?? 'Contact', WaId: input.from.replace(/^whatsapp:\+/, ''), MessageType: 'text' })
    const now = rfc2822(new Date())
    messages.set(msgSid, {
      sid: msgSid, account_sid: sid(), api_version: '2010-04-01', body: input.body, date_created: now, date_sent: now, date_updated: now, direction: 'inbound',
      error_code: null, error_message: null, from: input.from, to: input.to, messaging_service_sid: null, num_media: params.NumMedia, num_segments: params.NumSegments,
      price: null, price_unit: 'EUR', status: 'received', subresource_uris: { media: `${base(sid())}/Messages/${msgSid}/Media.json` }, uri: `${base(sid())}/Messages/${msgSid}.json`,
    })
    const keyword = input.body.trim().toUpperCase()
    if (['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'ARRET', 'ARRÊT'].includes(keyword)) stopped.add(`${input.to}|${input.from}`)
    if (['START', 'UNSTOP', 'YES'].includes(keyword)) stopped.delete(`${input.to}|${input.from}`)
    const url = input.url ?? ctx.config.twilioInboundUrl
    return ctx.deliver('twilio', 'inbound', url, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-twilio-signature': twilioSignature(token(), url, params),
      'user-agent': 'TwilioProxy/1.1',
    })
  }

  async function handle(r: SandboxRequest) {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/.]+))?\.json$/.exec(r.path)
    if (!m) throw twilioError(404, 20404, `The requested resource ${r.path} was not found`)
    const [, account, msgSid] = m
    authorize(r, account)
    if (!msgSid) {
      if (r.method === 'POST') return create(r, account)
      if (r.method === 'GET') {
        const q = r.url.searchParams
        const size = Math.min(Number(q.get('PageSize') ?? 50) || 50, 1000)
        const list = [...messages.values()].reverse().filter((x) => (!q.get('To') || x.to === q.get('To')) && (!q.get('From') || x.from === q.get('From')))
        return sendJson(r.res, 200, {
          messages: list.slice(0, size).map(publicView), end: Math.min(size, list.length) - 1, first_page_uri: `${base(account)}/Messages.json?PageSize=${size}&Page=0`,
          next_page_uri: null, page: 0, page_size: size, previous_page_uri: null, start: 0, uri: `${base(account)}/Messages.json?PageSize=${size}&Page=0`,
        })
      }
      throw twilioError(405, 20004, 'Method not allowed')
    }
    const msg = messages.get(msgSid)
    if (!msg) throw twilioError(404, 20404, `The requested resource ${r.path} was not found`)
    if (r.method === 'GET') return sendJson(r.res, 200, publicView(msg))
    if (r.method === 'DELETE') {
      messages.delete(msgSid)
      r.res.writeHead(204)
      return void r.res.end()
    }
    if (r.method === 'POST') {
      const p = formParams(r.body)
      if (one(p.Body) === '') msg.body = ''
      if (one(p.Status) === 'canceled') {
        if (!['queued', 'accepted', 'scheduled'].includes(msg.status)) throw twilioError(400, 30409, 'Message cannot be canceled')
        setStatus(msg, 'canceled')
      }
      return sendJson(r.res, 200, publicView(msg))
    }
    throw twilioError(405, 20004, 'Method not allowed')
  }

  return { handle, triggerStatus, triggerInbound, messages }
}
