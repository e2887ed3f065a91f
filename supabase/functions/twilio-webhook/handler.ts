/**
 * twilio-webhook: status callbacks of our SMS/WhatsApp messages and incoming
 * messages (replies, STOP).
 *
 * Public (verify_jwt = false): every request must carry a valid
 * X-Twilio-Signature for the exact public URL it was posted to and its form
 * parameters, checked by the twilio SDK's validateRequest (through the shared
 * adapter); otherwise 403. Rate-limited per client IP, zod-validated.
 *
 * Service role, because Twilio's callbacks are not a user and belong to
 * whichever tenant sent the message: the send id is in the status callback
 * URL we gave Twilio (`?send=<id>`, covered by the signature), an inbound
 * message is matched to the tenants that wrote to that number.
 * - status: delivered / undelivered / failed → private.record_message_event
 *   (event id `<MessageSid>:<status>`: a replay counts once);
 * - inbound STOP, ARRET, STOP SMS, free-text opt-outs → the contact is
 *   suppressed on every channel in every tenant that wrote to the number;
 * - other inbound text → the thread of the tenant that wrote last (reply: exit rule).
 * Answers an empty TwiML document (no auto-reply: Twilio's own STOP handling
 * confirms opt-outs on its side).
 */
import { z } from 'zod'
import { isOptOut } from '../_shared/compliance/stop.ts'
import { db, withService, type Sql } from '../_shared/db.ts'
import { HttpError, withHttp } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { providers } from '../_shared/providers/mod.ts'
import { textToHtml } from '../_shared/sending/html.ts'
import { publicRequestUrl } from '../_shared/sending/config.ts'
import { rateLimit } from '../_shared/sending/public.ts'
import { bareNumber, channelOf, mapStatus, parseTwilio } from './parse.ts'

const log = createLogger('twilio-webhook')
const REASON = 'provider webhook: status and inbound messages belong to whichever tenant sent to that number'
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

function twiml(): Response {
  return new Response(EMPTY_TWIML, { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' } })
}

export async function handle(req: Request, sql: Sql = db()): Promise<Response> {
  if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use POST', undefined, { headers: { Allow: 'POST' } })
  await rateLimit(sql, 'twilio-webhook', req, 6000)
  const type = req.headers.get('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded/i.test(type)) throw new HttpError('unsupported_media_type', 'Twilio posts form-encoded bodies')
  const text = await req.text()
  if (text.length > 200_000) throw new HttpError('payload_too_large', 'The body is too large')
  const params: Record<string, string> = {}
  for (const [k, v] of new URLSearchParams(text)) params[k] = v
  const url = publicRequestUrl(req)
  if (!providers().sms().verifyWebhook(url, params, req.headers.get('x-twilio-signature'))) {
    throw new HttpError('forbidden', 'Invalid Twilio signature')
  }
  const body = parseTwilio(params)
  const sendParam = new URL(req.url).searchParams.get('send')
  const sendId = sendParam && z.uuid().safeParse(sendParam).success ? sendParam : null

  const result = await withService(REASON, async (tx0) => {
    const tx = tx0 as unknown as Sql
    if (body.kind === 'status') {
      const m = mapStatus(body.data.MessageStatus, body.data.ErrorCode)
      if (!m) return 'ignored'
      const [r] = await tx`select private.record_message_event('twilio', ${`${body.data.MessageSid}:${body.data.MessageStatus}`},
          ${m.type}::public.message_event_type, ${sendId}::uuid, ${sendId ? null : body.data.MessageSid}, now(),
          ${tx.json({ status: body.data.MessageStatus, errorCode: body.data.ErrorCode ?? null, reason: body.data.ErrorCode ? `twilio ${body.data.ErrorCode}` : null })}) as fresh`
      return r.fresh ? 'recorded' : 'replay'
    }
    const d = body.data
    const channel = channelOf(d.From)
    const phone = bareNumber(d.From)
    const matches = await tx`select * from private.match_inbound_phone(${phone}, ${channel}::public.send_channel)`
    if (!matches.length) return 'unknown_sender'
    if (isOptOut(d.Body)) {
      // STOP applies to every tenant that messaged this number: none may write again.
      let fresh = false
      for (const m of matches) {
        const [r] = await tx`select private.opt_out_inbound(${m.tenant_id}::uuid, ${m.contact_id}::uuid, 'twilio', ${d.MessageSid}, ${m.send_id}::uuid, ${d.Body}) as fresh`
        fresh ||= r.fresh
      }
      return fresh ? 'opt_out' : 'replay'
    }
    const latest = matches.reduce((a, b) => (new Date(a.sent_at) >= new Date(b.sent_at) ? a : b))
    const [r] = await tx`select private.record_inbound_message(${latest.tenant_id}::uuid, ${latest.contact_id}::uuid, ${channel}::public.send_channel,
        'twilio', ${d.MessageSid}, ${latest.send_id}::uuid, null, ${d.Body}, ${textToHtml(d.Body)}, ${phone}, now()) as r`
    return r.r.duplicate ? 'replay' : 'reply'
  }, { sql, logger: log })
  log.info('twilio webhook', { context: { kind: body.kind, result } })
  return twiml()
}

export const handler = withHttp(log, (req) => handle(req))
