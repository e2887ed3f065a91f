/**
 * send-worker: drains the `email` and `sms` pgmq queues and hands each ledger
 * row (message_sends) to its provider exactly once.
 *
 * Service role, because one drain serves every tenant's queued sends (the
 * rows are read by id from queue messages the tick wrote); callers must
 * present the service key (pg_cron through private.invoke_edge_function).
 *
 * Exactly-once effect over at-least-once delivery:
 * 1. claim: `queued → sending`, or `sending` whose lease ran out, attempts + 1,
 *    lease_until = now + LEASE, committed BEFORE the provider call; a live
 *    lease means another worker is on it (the message is retried later); any
 *    other state (sent, delivered, failed, cancelled) means the work is done
 *    and the queue message is just deleted;
 * 2. the gate (private.send_gate at private.sending_now(), the sending clock)
 *    is checked again at send time: a temporary refusal re-queues the send to
 *    its next slot, a permanent one cancels it;
 * 3. a row found already in `sending` (a previous attempt died somewhere
 *    around the provider call) is reconciled first: the provider is asked for
 *    a message carrying our reference (Brevo: tag `send:<id>` in the
 *    transactional log; Twilio: same body to the number since the claim);
 *    found → recorded, not re-sent; the provider unreachable → retry later;
 * 4. the provider's tokens are taken (private.take_send_tokens: per-provider
 *    rate limit shared by every worker), then the call;
 * 5. after the call, the provider id is stored (`sent`, never downgrading a
 *    `delivered` a fast webhook already wrote) with a `message.sent` event,
 *    then the queue message is deleted (by the drain).
 * Failures: the provider unavailable or rate limiting → the send waits in the
 * queue (a fresh message with exponential delay, up to 72 h after it was
 * queued: an outage of hours loses nothing); a permanent refusal → the ledger
 * row is `failed` with the reason and the queue message archived in the same
 * transaction (dead letter, public.sending_dead_letters).
 *
 * Crash injection for the crash test (tests/stack/sending-crash.test.ts):
 * SEND_WORKER_CRASH_AT = before_provider | after_provider | before_delete |
 * during_archive, SEND_WORKER_CRASH_AFTER = n (crash at the n-th time that
 * point is reached, default 1) ends the process there (exit 137, as a kill).
 */
import { z } from 'zod'
import { requireService } from '../_shared/auth.ts'
import { loadEnv } from '../_shared/config.ts'
import { db, type Sql } from '../_shared/db.ts'
import { errorResponse, HttpError, json } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { ProviderError } from '../_shared/providers/mod.ts'
import { defineJobs, job, type JobContext } from '../_shared/queue.ts'
import { linkSecret, publicBaseUrl } from '../_shared/sending/config.ts'
import { escapeHtml } from '../_shared/sending/html.ts'
import { brevoSender, type EmailSender, PermanentSendError, smsSegments, type SmsSender, twilioSender } from '../_shared/sending/providers.ts'
import { signLink } from '../_shared/sending/tokens.ts'

const log = createLogger('send-worker')
const MAX_ATTEMPTS = 8
const OUTAGE_LIMIT_MS = 72 * 3600_000

const workerEnv = z.looseObject({
  /** Seconds a read queue message stays invisible (a crashed attempt is retried after it). */
  SEND_WORKER_VT: z.coerce.number().int().min(1).max(3600).default(120),
  /** Seconds a claim is exclusive: longer than the slowest provider call, shorter than the visibility timeout. */
  SEND_WORKER_LEASE: z.coerce.number().int().min(1).max(3600).default(100),
  /** Drains run side by side in one invocation. */
  SEND_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  SEND_WORKER_CRASH_AT: z.enum(['before_provider', 'after_provider', 'before_delete', 'during_archive']).optional(),
  SEND_WORKER_CRASH_AFTER: z.coerce.number().int().min(1).default(1),
  /** Base delay of provider-outage retries, seconds (doubles each time, capped at an hour). */
  SEND_WORKER_RETRY_BASE: z.coerce.number().int().min(1).max(3600).default(30),
})
const cfg = () => loadEnv(workerEnv)

export interface Senders {
  email: EmailSender
  sms: SmsSender
}
let senders: Senders | undefined
/** Replaces the providers (tests); undefined goes back to the real adapters. */
export function setProviders(p: Senders | undefined) {
  senders = p
}
const getSenders = () => (senders ??= { email: brevoSender(), sms: twilioSender() })

const crashCounts = new Map<string, number>()
function crashPoint(point: string) {
  if (cfg().SEND_WORKER_CRASH_AT !== point) return
  const n = (crashCounts.get(point) ?? 0) + 1
  crashCounts.set(point, n)
  if (n >= cfg().SEND_WORKER_CRASH_AFTER) {
    console.error(JSON.stringify({ level: 'warn', service: 'send-worker', message: 'crash injected', context: { point, n } }))
    Deno.exit(137)
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g

/**
 * Text + HTML of an e-mail: the body (links become signed click-tracking
 * links in the HTML part), the agency's legal footer, the unsubscribe link,
 * an open pixel, and the RFC 8058 headers.
 */
export async function composeEmail(
  body: string, footer: string, unsubscribeUrl: string,
  tracking?: { sendId: string; base: string; secret: string },
) {
  const text = `${body}\n\n--\n${footer}\nSe désinscrire : ${unsubscribeUrl}\n`
  let htmlBody = ''
  let last = 0
  for (const m of body.matchAll(URL_RE)) {
    htmlBody += escapeHtml(body.slice(last, m.index))
    const href = tracking ? `${tracking.base}/track/c/${await signLink({ s: tracking.sendId, p: 'c', url: m[0] }, tracking.secret)}` : m[0]
    htmlBody += `<a href="${escapeHtml(href)}">${escapeHtml(m[0])}</a>`
    last = m.index! + m[0].length
  }
  htmlBody += escapeHtml(body.slice(last))
  const pixel = tracking ? `<img src="${escapeHtml(`${tracking.base}/track/o/${await signLink({ s: tracking.sendId, p: 'o' }, tracking.secret)}.gif`)}" width="1" height="1" alt="" style="display:block;border:0">` : ''
  const html = `<!doctype html><html><body><div>${htmlBody.replace(/\n/g, '<br>')}</div>` +
    `<hr><p style="font-size:12px;color:#666">${escapeHtml(footer).replace(/\n/g, '<br>')}<br>` +
    `<a href="${escapeHtml(unsubscribeUrl)}">Se désinscrire</a></p>${pixel}</body></html>`
  return {
    text,
    html,
    headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  }
}

export function composeSms(body: string): string {
  return /\bSTOP\b/.test(body) ? body : `${body}\nSTOP au 36173`
}

/** Waits for a provider token (rate limit shared by every worker). */
async function takeToken(sql: Sql, provider: string) {
  for (;;) {
    const [r] = await sql`select private.take_send_tokens(${provider}, 1) as n`
    if (r.n > 0) return
    await new Promise((res) => setTimeout(res, 1000 - (Date.now() % 1000) + 5))
  }
}

class Busy extends Error {}

async function requeue(sql: Sql, queue: string, row: { id: string; channel: string }, delaySeconds: number, status: 'queued' | 'sending', error: string) {
  await sql.begin(async (tx) => {
    await tx`update public.message_sends set status = ${status}, lease_until = null, error = ${error} where id = ${row.id}`
    await tx`select pgmq.send(${queue}, ${tx.json({ type: `send.${row.channel}`, sendId: row.id })}, ${Math.max(1, Math.round(delaySeconds))})`
  })
}

async function process(sendId: string, ctx: JobContext) {
  const sql: Sql = ctx.sql
  const lease = cfg().SEND_WORKER_LEASE
  const [row] = await sql`
    with prev as (select id, status, lease_until from public.message_sends where id = ${sendId} for update)
    update public.message_sends m
       set status = 'sending', attempts = m.attempts + 1, sending_at = coalesce(m.sending_at, now()),
           lease_until = now() + make_interval(secs => ${lease})
      from prev
     where m.id = prev.id and (prev.status = 'queued' or (prev.status = 'sending' and coalesce(prev.lease_until, '-infinity') < now()))
    returning m.*, prev.status as previous_status, private.sending_now() as clock`
  if (!row) {
    const [cur] = await sql`select status, lease_until > now() as leased from public.message_sends where id = ${sendId}`
    if (cur?.status === 'sending' && cur.leased) throw new Busy(`send ${sendId} is claimed by another worker`)
    return // final already (or unknown): the queue message goes
  }
  const [info] = await sql`
    select s.sender_name, s.sender_email, s.reply_to_email, s.sms_sender_id, coalesce(s.legal_footer, t.legal_name) as footer, t.legal_name
      from public.tenants t left join public.tenant_sending_settings s on s.tenant_id = t.id where t.id = ${row.tenant_id}`
  if (!info || !row.to_address) {
    // The tenant or the address is gone (erasure, anonymisation): nothing may leave.
    await sql`update public.message_sends set status = 'cancelled', lease_until = null, error = ${!info ? 'blocked:tenant_not_found' : 'blocked:no_address'},
                finished_at = now() where id = ${row.id}`
    return
  }
  const since = new Date(new Date(row.sending_at).getTime() - 60_000)
  const base = publicBaseUrl()
  const secret = linkSecret()
  const providers = getSenders()
  let sent: { providerMessageId: string } | null = null
  let segments: number | null = null
  let call: () => Promise<{ providerMessageId: string }>
  const provider = row.channel === 'email' ? 'brevo' : 'twilio'
  if (row.channel === 'email') {
    const unsub = `${base}/unsubscribe?t=${await signLink({ s: row.id, p: 'u' }, secret)}`
    const c = await composeEmail(row.body ?? '', info.footer, unsub, { sendId: row.id, base, secret })
    const m = {
      reference: row.idempotency_key, sendId: row.id,
      from: { name: info.sender_name ?? info.legal_name, email: info.sender_email ?? 'no-reply@immo-ai.test' },
      replyTo: info.reply_to_email ?? undefined, to: row.to_address, subject: row.subject ?? '', ...c,
    }
    // A previous attempt died around the provider call: ask the provider first (an error here retries, never re-sends).
    if (row.previous_status === 'sending') sent = await providers.email.find(m, since)
    call = () => providers.email.send(m)
  } else {
    const body = composeSms(row.body ?? '')
    segments = smsSegments(body)
    const m = {
      reference: row.idempotency_key, sendId: row.id, from: info.sms_sender_id ?? 'IMMOAI', to: row.to_address, body,
      whatsapp: row.channel === 'whatsapp', statusCallback: `${base}/twilio-webhook?send=${row.id}`,
    }
    if (row.previous_status === 'sending') sent = await providers.sms.find(m, since)
    call = () => providers.sms.send(m)
  }
  if (!sent) {
    const [gate] = await sql`select * from private.send_gate(${row.id}, ${row.clock})`
    if (!gate.allowed) {
      if (gate.retry_at) {
        const delay = (new Date(gate.retry_at).getTime() - new Date(row.clock).getTime()) / 1000
        await requeue(sql, ctx.queue, { id: row.id, channel: row.channel }, Math.max(60, delay), 'queued', `deferred:${gate.reason}`)
        return
      }
      await sql`update public.message_sends set status = 'cancelled', lease_until = null, error = ${'blocked:' + gate.reason}, finished_at = now() where id = ${row.id}`
      return
    }
    await takeToken(sql, provider)
    crashPoint('before_provider')
    sent = await call()
  }
  crashPoint('after_provider')
  await sql.begin(async (tx) => {
    await tx`update public.message_sends
                set status = case when status = 'delivered' then status else 'sent' end, provider = ${provider},
                    provider_message_id = ${sent!.providerMessageId}, segments = ${segments}, sent_at = coalesce(sent_at, now()),
                    lease_until = null, error = null
              where id = ${row.id}`
    await tx`select private.emit_event(${row.tenant_id}, 'message.sent', 'contact', ${row.contact_id},
               ${tx.json({ send_id: row.id, channel: row.channel, provider, conversation_id: row.conversation_id ?? null })})`
  })
  crashPoint('before_delete')
}

async function fail(ctx: JobContext, sendId: string, reason: string) {
  await ctx.sql.begin(async (tx) => {
    await tx`update public.message_sends set status = 'failed', lease_until = null, error = ${reason.slice(0, 1000)}, finished_at = now()
              where id = ${sendId} and status in ('queued', 'sending')`
    crashPoint('during_archive')
    const failure = { reason: reason.slice(0, 1000), attempts: ctx.attempt, at: new Date().toISOString() }
    await tx`update ${tx('pgmq')}.${tx('q_' + ctx.queue)} set message = message || jsonb_build_object('_failure', ${tx.json(failure)}::jsonb)
              where msg_id = ${ctx.msgId}::bigint`
    await tx`select pgmq.archive(${ctx.queue}, ${ctx.msgId}::bigint)`
  })
}

async function guarded(sendId: string, ctx: JobContext) {
  try {
    await process(sendId, ctx)
  } catch (e) {
    if (e instanceof Busy) {
      // Another worker holds the claim: come back when its lease ends, with a fresh message
      // (re-reading this one would spend its attempt budget and end in the archive).
      const [l] = await ctx.sql`select channel, greatest(1, ceil(extract(epoch from lease_until - now())))::int + 1 as wait from public.message_sends where id = ${sendId}`
      if (l) await ctx.sql`select pgmq.send(${ctx.queue}, ${ctx.sql.json({ type: `send.${l.channel}`, sendId })}, ${l.wait})`
      return
    }
    if (e instanceof PermanentSendError) return fail(ctx, sendId, e.message)
    // The provider (or the network to it) is down or limiting: wait, keep the claim
    // state so the next attempt reconciles first, and do not spend the attempt budget.
    const [s] = await ctx.sql`select queued_at, attempts, channel from public.message_sends where id = ${sendId}`
    if (!s) return
    if (Date.now() - new Date(s.queued_at).getTime() > OUTAGE_LIMIT_MS || s.attempts >= 200) {
      return fail(ctx, sendId, `provider_unavailable: ${(e as Error).message}`)
    }
    const retryAfter = e instanceof ProviderError && e.retryAfterMs ? e.retryAfterMs / 1000 : 0
    const delay = Math.max(retryAfter, Math.min(3600, cfg().SEND_WORKER_RETRY_BASE * 2 ** Math.min(10, Math.max(0, s.attempts - 1))))
    log.warn('provider unavailable, send waits', { context: { sendId, delay } }, e)
    await requeue(ctx.sql, ctx.queue, { id: sendId, channel: s.channel }, delay, 'sending', `retry:${(e as Error).message.slice(0, 200)}`)
  }
}

const payload = z.object({ sendId: z.uuid() })
export const sendJobs = defineJobs({
  'send.email': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
  'send.sms': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
  'send.whatsapp': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
})

const body = z.object({
  queue: z.enum(['email', 'sms']).optional(),
  batch: z.number().int().min(1).max(500).default(50),
  budgetMs: z.number().int().min(100).max(55_000).default(20_000),
})

/** Drains until the queues are empty or the time budget is spent, `concurrency` drains side by side. */
export async function drainAll(opts: { queues: string[]; batch: number; budgetMs: number; sql?: Sql; concurrency?: number }) {
  const started = Date.now()
  const totals = { read: 0, succeeded: 0, retried: 0, archived: 0 }
  const sql = opts.sql ?? db()
  const vt = cfg().SEND_WORKER_VT
  const one = async () => {
    for (;;) {
      let read = 0
      for (const q of opts.queues) {
        const r = await sendJobs.drain(q, { sql, batch: opts.batch, vt, maxAttempts: MAX_ATTEMPTS, logger: log })
        read += r.read
        totals.read += r.read
        totals.succeeded += r.succeeded
        totals.retried += r.retried
        totals.archived += r.archived.length
      }
      if (read === 0 || Date.now() - started > opts.budgetMs) return
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? cfg().SEND_WORKER_CONCURRENCY }, one))
  return totals
}

export async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use POST')
    await requireService(req)
    const text = await req.text()
    const p = body.parse(text ? JSON.parse(text) : {})
    const report = await drainAll({ queues: p.queue ? [p.queue] : ['email', 'sms'], batch: p.batch, budgetMs: p.budgetMs })
    return json(report)
  } catch (e) {
    return errorResponse(e, { logger: log })
  }
}
