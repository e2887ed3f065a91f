/**
 * send-worker: drains the `email` and `sms` pgmq queues and hands each ledger
 * row (message_sends) to its provider exactly once.
 *
 * Service role, because one drain serves every tenant's queued sends (the
 * rows are read by id from queue messages the tick wrote); callers must
 * present the service key (pg_cron through private.invoke_edge_function).
 *
 * Exactly-once effect over at-least-once delivery:
 * 1. claim: `queued|sending → sending`, attempts + 1, committed BEFORE the
 *    provider call; any other state (sent, delivered, failed, cancelled) means
 *    the work is done and the queue message is just deleted;
 * 2. the gate (private.can_send) is checked again at send time: a time/cap
 *    refusal re-queues with a delay to the next slot, a permanent one cancels;
 * 3. a row found already in `sending` (the previous attempt died somewhere
 *    around the provider call) is reconciled first: the provider is asked for a
 *    message carrying our reference (Brevo tag / X-Mailin-Custom, Twilio
 *    to+body since the claim); found → recorded, not re-sent;
 * 4. after the call, the provider id is stored (`sent`), then the queue
 *    message is deleted (by the drain).
 * Crash injection for the crash test: SEND_WORKER_CRASH_AT=before_provider |
 * after_provider | before_delete kills the process at that point.
 */
import { z } from 'zod'
import { requireService } from '../_shared/auth.ts'
import { db, type Sql } from '../_shared/db.ts'
import { errorResponse, json, HttpError } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { defineJobs, job, type JobContext } from '../_shared/queue.ts'
import { brevoProvider, PermanentSendError, smsSegments, twilioProvider, type EmailProvider, type SmsProvider } from '../_shared/sending/providers.ts'
import { signLink } from '../_shared/sending/tokens.ts'

const log = createLogger('send-worker')
const MAX_ATTEMPTS = 5
const TIME_REASONS = new Set(['sunday', 'public_holiday', 'closed_day', 'outside_send_days', 'outside_hours', 'frequency_cap', 'company_frequency_cap'])

export interface Providers {
  email: EmailProvider
  sms: SmsProvider
}
let providers: Providers | undefined
export function setProviders(p: Providers | undefined) {
  providers = p
}
const getProviders = () => (providers ??= { email: brevoProvider(), sms: twilioProvider() })

function crashPoint(point: string) {
  if (Deno.env.get('SEND_WORKER_CRASH_AT') === point) {
    log.warn('crash injected', { point })
    Deno.exit(137)
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export function composeEmail(body: string, footer: string, unsubscribeUrl: string) {
  const text = `${body}\n\n--\n${footer}\nSe désinscrire : ${unsubscribeUrl}\n`
  const html = `<!doctype html><html><body><div>${escapeHtml(body).replace(/\n/g, '<br>')}</div>` +
    `<hr><p style="font-size:12px;color:#666">${escapeHtml(footer).replace(/\n/g, '<br>')}<br>` +
    `<a href="${escapeHtml(unsubscribeUrl)}">Se désinscrire</a></p></body></html>`
  return {
    text,
    html,
    headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  }
}

export function composeSms(body: string): string {
  return /\bSTOP\b/.test(body) ? body : `${body}\nSTOP au 36173`
}

const linkSecret = () => Deno.env.get('SENDING_LINK_SECRET') ?? Deno.env.get('SUPABASE_SERVICE_ROLE_KEY') ?? ''
const publicUrl = () => (Deno.env.get('SENDING_PUBLIC_URL') ?? `${Deno.env.get('SUPABASE_URL')}/functions/v1`).replace(/\/$/, '')

async function process(sendId: string, ctx: JobContext) {
  const sql: Sql = ctx.sql
  const [row] = await sql`
    with prev as (select id, status from public.message_sends where id = ${sendId} for update)
    update public.message_sends m set status = 'sending', attempts = m.attempts + 1, sending_at = coalesce(m.sending_at, now())
      from prev where m.id = prev.id and prev.status in ('queued', 'sending')
    returning m.*, prev.status as previous_status`
  if (!row) return // already final: nothing to do, the queue message goes
  const [gate] = await sql`select * from private.can_send(${row.contact_id}, ${row.channel}, now(), ${row.task_kind ?? 'call'}, ${row.id}, ${row.step_id})`
  if (!gate?.allowed) {
    if (TIME_REASONS.has(gate?.reason)) {
      const [slot] = await sql`select extract(epoch from (private.next_send_slot(${row.tenant_id}, ${row.contact_id}, ${row.channel}, now(), ${row.task_kind ?? 'call'}, ${row.step_id}, ${row.id}) - now()))::int as delay`
      await sql.begin(async (tx) => {
        await tx`update public.message_sends set status = 'queued', error = ${'deferred:' + gate.reason} where id = ${row.id}`
        await tx`select pgmq.send(${ctx.queue}, ${tx.json({ type: `send.${row.channel}`, sendId: row.id })}, ${Math.max(60, slot?.delay ?? 3600)})`
      })
      return
    }
    await sql`update public.message_sends set status = 'cancelled', error = ${'blocked:' + gate?.reason}, finished_at = now() where id = ${row.id}`
    return
  }
  const [info] = await sql`
    select s.sender_name, s.sender_email, s.reply_to_email, s.sms_sender_id, coalesce(s.legal_footer, t.legal_name) as footer, t.legal_name
      from public.tenants t left join public.tenant_sending_settings s on s.tenant_id = t.id where t.id = ${row.tenant_id}`
  const since = new Date(row.sending_at)
  let sent: { providerMessageId: string } | null = null
  let provider: string
  let segments: number | null = null
  if (row.channel === 'email') {
    const unsub = `${publicUrl()}/unsubscribe?t=${await signLink({ s: row.id, p: 'u' }, linkSecret())}`
    const c = composeEmail(row.body ?? '', info.footer, unsub)
    const m = { reference: row.idempotency_key, sendId: row.id, from: { name: info.sender_name ?? info.legal_name, email: info.sender_email ?? 'no-reply@immo-ai.test' },
      replyTo: info.reply_to_email ?? undefined, to: row.to_address, subject: row.subject ?? '', ...c }
    provider = 'brevo'
    if (row.previous_status === 'sending') sent = await getProviders().email.find(m)
    crashPoint('before_provider')
    sent ??= await getProviders().email.send(m)
  } else {
    const body = composeSms(row.body ?? '')
    segments = smsSegments(body)
    const m = { reference: row.idempotency_key, sendId: row.id, from: info.sms_sender_id ?? 'IMMOAI', to: row.to_address, body, whatsapp: row.channel === 'whatsapp' }
    provider = 'twilio'
    if (row.previous_status === 'sending') sent = await getProviders().sms.find(m, since)
    crashPoint('before_provider')
    sent ??= await getProviders().sms.send(m)
  }
  crashPoint('after_provider')
  await sql.begin(async (tx) => {
    await tx`update public.message_sends set status = 'sent', provider = ${provider}, provider_message_id = ${sent!.providerMessageId},
               segments = ${segments}, sent_at = now(), error = null where id = ${row.id}`
    await tx`select private.emit_event(${row.tenant_id}, 'message.sent', 'contact', ${row.contact_id},
               ${tx.json({ send_id: row.id, channel: row.channel, provider })})`
  })
  crashPoint('before_delete')
}

async function guarded(sendId: string, ctx: JobContext) {
  try {
    await process(sendId, ctx)
  } catch (e) {
    const permanent = e instanceof PermanentSendError
    if (permanent || ctx.attempt >= MAX_ATTEMPTS) {
      await ctx.sql`update public.message_sends set status = 'failed', error = ${(e as Error).message}, finished_at = now() where id = ${sendId}`
      if (permanent) return
    }
    throw e
  }
}

const payload = z.object({ sendId: z.uuid() })
export const sendJobs = defineJobs({
  'send.email': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
  'send.sms': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
  'send.whatsapp': job({ schema: payload, maxAttempts: MAX_ATTEMPTS, handle: (p, ctx) => guarded(p.sendId, ctx) }),
})

const body = z.object({ queue: z.enum(['email', 'sms']).optional(), batch: z.number().int().min(1).max(500).default(50), budgetMs: z.number().int().min(100).max(55_000).default(20_000) })

/** Drains until the queues are empty or the time budget is spent. */
export async function drainAll(opts: { queues: string[]; batch: number; budgetMs: number; sql?: Sql }) {
  const started = Date.now()
  const totals = { read: 0, succeeded: 0, retried: 0, archived: 0 }
  const sql = opts.sql ?? db()
  for (;;) {
    let read = 0
    for (const q of opts.queues) {
      const r = await sendJobs.drain(q, { sql, batch: opts.batch, vt: 120, maxAttempts: MAX_ATTEMPTS, retryDelay: (n) => Math.min(3600, 30 * 2 ** n), logger: log })
      read += r.read
      totals.read += r.read
      totals.succeeded += r.succeeded
      totals.retried += r.retried
      totals.archived += r.archived.length
    }
    if (read === 0 || Date.now() - started > opts.budgetMs) return totals
  }
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
