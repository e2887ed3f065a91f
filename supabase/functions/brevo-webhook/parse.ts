/**
 * Brevo webhook payloads (pure parsing, unit-tested):
 * - transactional events: one object, or an array of them, with `event`,
 *   `message-id`, `ts_event`/`ts_epoch`, `tags`, `X-Mailin-custom`, `link`,
 *   `reason`, `user_agent`;
 * - inbound parsing: `{ items: [{ MessageId, InReplyTo, From, Subject,
 *   RawTextBody, RawHtmlBody, ExtractedMarkdownMessage, … }] }`.
 */
import { z } from 'zod'

const transactional = z.looseObject({
  event: z.string().min(1).max(40),
  email: z.string().max(320).optional(),
  id: z.union([z.number(), z.string()]).optional(),
  'message-id': z.string().min(1).max(500).optional(),
  ts: z.number().optional(),
  ts_event: z.number().optional(),
  ts_epoch: z.number().optional(),
  date: z.string().optional(),
  tag: z.string().optional(),
  tags: z.array(z.string()).optional(),
  'X-Mailin-custom': z.string().max(500).optional(),
  link: z.string().max(4000).optional(),
  reason: z.string().max(2000).optional(),
  user_agent: z.string().max(1000).optional(),
})
export type BrevoEvent = z.infer<typeof transactional>

const address = z.looseObject({ Address: z.string().max(320).nullable().optional(), Name: z.string().nullable().optional() })
const inboundItem = z.looseObject({
  Uuid: z.array(z.string()).optional(),
  MessageId: z.string().min(1).max(500),
  InReplyTo: z.string().max(500).nullable().optional(),
  From: address,
  To: z.array(address).nullable().optional(),
  Subject: z.string().max(2000).nullable().optional(),
  SentAtDate: z.string().nullable().optional(),
  RawTextBody: z.string().nullable().optional(),
  RawHtmlBody: z.string().nullable().optional(),
  ExtractedMarkdownMessage: z.string().nullable().optional(),
  Headers: z.record(z.string(), z.unknown()).nullable().optional(),
})
export type BrevoInbound = z.infer<typeof inboundItem>

export const brevoPayload = z.union([
  z.object({ items: z.array(inboundItem).min(1).max(100) }).loose().transform((p) => ({ kind: 'inbound' as const, items: p.items })),
  z.array(transactional).min(1).max(1000).transform((events) => ({ kind: 'events' as const, events })),
  transactional.transform((e) => ({ kind: 'events' as const, events: [e] })),
])

export type EventType = 'delivered' | 'opened' | 'clicked' | 'bounced' | 'soft_bounced' | 'complained' | 'unsubscribed' | 'failed'

/** Brevo's event name → ours (null: acknowledged, not recorded). `proxy_open` is an open by a privacy proxy. */
export function mapEvent(event: string): { type: EventType; proxy?: boolean } | null {
  switch (event) {
    case 'delivered': return { type: 'delivered' }
    case 'opened': case 'unique_opened': return { type: 'opened' }
    case 'proxy_open': case 'unique_proxy_open': return { type: 'opened', proxy: true }
    case 'click': return { type: 'clicked' }
    case 'hard_bounce': return { type: 'bounced' }
    case 'soft_bounce': return { type: 'soft_bounced' }
    case 'spam': case 'complaint': return { type: 'complained' }
    case 'unsubscribed': return { type: 'unsubscribed' }
    case 'blocked': case 'invalid_email': case 'error': return { type: 'failed' }
    default: return null // request, deferred, …
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Our send id from the event: the `send:<uuid>` tag, or the idempotency key in X-Mailin-custom. */
export function sendRef(e: BrevoEvent): { sendId?: string; key?: string; messageId?: string } {
  const tag = [...(e.tags ?? []), e.tag ?? ''].find((t) => t.startsWith('send:') && UUID.test(t.slice(5)))
  return { sendId: tag?.slice(5), key: e['X-Mailin-custom'] || undefined, messageId: e['message-id'] }
}

/** A stable id for one event: replays of the same event share it. */
export function eventId(e: BrevoEvent): string {
  const at = e.ts_epoch ?? (e.ts_event ?? e.ts ?? 0) * 1000
  return `${e['message-id'] ?? e.id ?? 'none'}:${e.event}:${at}:${e.link ?? ''}`
}

export function occurredAt(e: BrevoEvent): Date {
  const ms = e.ts_epoch ?? (e.ts_event ?? e.ts ?? 0) * 1000
  return ms > 0 ? new Date(ms) : new Date()
}

/** The reply text without the quoted history when Brevo extracted it. */
export function replyText(i: BrevoInbound): string {
  return (i.ExtractedMarkdownMessage ?? i.RawTextBody ?? '').trim()
}
