/**
 * brevo-webhook: Brevo's transactional events and inbound parsing (replies).
 *
 * Public (verify_jwt = false): Brevo authenticates with the webhook token
 * (`Authorization: Bearer $BREVO_WEBHOOK_TOKEN`, constant-time compared by the
 * shared Brevo adapter); anything else is 401. Rate-limited per client IP,
 * zod-validated (422 for a body that is not a Brevo payload).
 *
 * Service role, because a webhook is not a user and its events belong to any
 * tenant: the send (and so the tenant) is found from our own references in
 * the event (`send:<id>` tag, X-Mailin-custom key, provider message id).
 * Each event → private.record_message_event (one row per provider event id:
 * replays count once; a domain event; Realtime through the published tables).
 * Inbound: the reply goes to the contact's thread (private.record_inbound_message,
 * which exits enrolments on reply); STOP / unsubscribe words suppress the
 * contact on every channel (private.opt_out_inbound) instead.
 */
import { db, withService, type Sql } from '../_shared/db.ts'
import { HttpError, json, withHttp } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { providers } from '../_shared/providers/mod.ts'
import { isOptOut } from '../_shared/compliance/stop.ts'
import { sanitizeHtml } from '../_shared/sending/html.ts'
import { rateLimit } from '../_shared/sending/public.ts'
import { brevoPayload, type BrevoEvent, type BrevoInbound, eventId, mapEvent, occurredAt, replyText, sendRef } from './parse.ts'

const log = createLogger('brevo-webhook')
const REASON = 'provider webhook: events and replies belong to whichever tenant sent the message'

async function findSend(tx: Sql, e: BrevoEvent): Promise<string | null> {
  const r = sendRef(e)
  const [row] = await tx`
    select coalesce(
      (select id from public.message_sends where id = ${r.sendId ?? null}::uuid),
      (select id from public.message_sends where idempotency_key = ${r.key ?? null}::text),
      (select id from public.message_sends where provider = 'brevo' and provider_message_id = ${r.messageId ?? null}::text)) as id`
  return row?.id ?? null
}

async function recordEvent(tx: Sql, e: BrevoEvent): Promise<'recorded' | 'replay' | 'ignored' | 'unknown_send'> {
  const m = mapEvent(e.event)
  if (!m) return 'ignored'
  const sendId = await findSend(tx, e)
  if (!sendId) return 'unknown_send'
  const payload = { event: e.event, reason: e.reason, link: e.link, user_agent: e.user_agent, ...(m.proxy ? { bot: true, proxy: 'brevo_proxy_open' } : {}) }
  const [r] = await tx`select private.record_message_event('brevo', ${eventId(e)}, ${m.type}::public.message_event_type, ${sendId}::uuid, null,
                         ${occurredAt(e)}, ${tx.json(JSON.parse(JSON.stringify(payload)))}) as fresh`
  return r.fresh ? 'recorded' : 'replay'
}

async function recordInbound(tx: Sql, i: BrevoInbound): Promise<string> {
  const from = i.From.Address?.trim().toLowerCase() ?? null
  // The answered send: In-Reply-To is the Message-ID Brevo gave our e-mail.
  const [sent] = i.InReplyTo
    ? await tx`select id, tenant_id, contact_id from public.message_sends where provider = 'brevo' and provider_message_id = ${i.InReplyTo.trim()}`
    : []
  let tenantId: string | undefined = sent?.tenant_id
  let contactId: string | undefined = sent?.contact_id
  if (!tenantId && from) {
    // No reference: the tenant that last e-mailed this address.
    const [last] = await tx`select tenant_id, contact_id from public.message_sends where to_address = ${from} and contact_id is not null order by queued_at desc limit 1`
    tenantId = last?.tenant_id
    contactId = last?.contact_id
  }
  if (!tenantId || !contactId) return 'unknown_sender'
  const text = replyText(i)
  if (isOptOut(text) || isOptOut(i.Subject ?? '')) {
    const [r] = await tx`select private.opt_out_inbound(${tenantId}::uuid, ${contactId}::uuid, 'brevo', ${i.MessageId}, ${sent?.id ?? null}::uuid, ${text}) as fresh`
    return r.fresh ? 'opt_out' : 'replay'
  }
  const [r] = await tx`select private.record_inbound_message(${tenantId}::uuid, ${contactId}::uuid, 'email', 'brevo', ${i.MessageId},
      ${sent?.id ?? null}::uuid, ${i.Subject ?? null}, ${i.RawTextBody ?? text}, ${sanitizeHtml(i.RawHtmlBody)}, ${from},
      ${i.SentAtDate && !Number.isNaN(Date.parse(i.SentAtDate)) ? new Date(i.SentAtDate) : new Date()}) as r`
  return r.r.duplicate ? 'replay' : 'reply'
}

export async function handle(req: Request, sql: Sql = db()): Promise<Response> {
  if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use POST', undefined, { headers: { Allow: 'POST' } })
  await rateLimit(sql, 'brevo-webhook', req, 6000)
  if (!providers().email().verifyWebhook(req)) throw new HttpError('unauthorized', 'Invalid webhook token')
  const text = await req.text()
  if (text.length > 5_000_000) throw new HttpError('payload_too_large', 'The body is too large')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new HttpError('invalid_json', 'The body is not valid JSON')
  }
  const p = brevoPayload.parse(raw)
  const results = await withService(REASON, async (tx) => {
    const out: string[] = []
    if (p.kind === 'events') for (const e of p.events) out.push(await recordEvent(tx as unknown as Sql, e))
    else for (const i of p.items) out.push(await recordInbound(tx as unknown as Sql, i))
    return out
  }, { sql, logger: log })
  return json({ received: results.length, results })
}

export const handler = withHttp(log, (req) => handle(req))
