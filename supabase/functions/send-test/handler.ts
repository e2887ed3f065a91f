/**
 * send-test: e-mails a message draft to the signed-in user themself — never
 * to anyone else — so they see it as a prospect would: the agency's sender
 * name, the legal footer and the unsubscribe link of the sending layer
 * (send-worker's composeEmail, with List-Unsubscribe / One-Click headers),
 * sent through the e-mail provider of the providers registry (Brevo; the
 * sandbox relays it to the mail catcher locally).
 *
 * POST { tenant_id, subject, html?, text?, generation_id? } with the user's
 * JWT; any member of the tenant. The HTML is sanitised again here (the
 * editor sanitises too, but a request can be written by hand). Unknown or
 * unresolved {{variables}} are refused: a test shows what would be sent.
 * Nothing is written to the message ledger: a test is not a prospecting send.
 * Rate: one test every 3 s per user in this worker, which stops loops
 * without storing anything.
 *
 * Answers 200 { sent: true, to, provider_message_id }.
 */
import sanitizeHtml from 'npm:sanitize-html@^2.17.5'
import { z } from 'zod'
import { requireTenantRole, requireUser } from '../_shared/auth.ts'
import { db, type Sql, withUser } from '../_shared/db.ts'
import { HttpError, json, parseBody, requireMethod, withHttp } from '../_shared/http.ts'
import { createLogger, type Logger } from '../_shared/log.ts'
import { type EmailProvider, providers } from '../_shared/providers/mod.ts'
import { signLink } from '../_shared/sending/tokens.ts'
import { composeEmail } from '../send-worker/handler.ts'

export const requestSchema = z.object({
  tenant_id: z.uuid(),
  subject: z.string().trim().min(1).max(250),
  html: z.string().max(50_000).optional(),
  text: z.string().max(20_000).optional(),
  generation_id: z.uuid().optional(),
}).refine((b) => (b.html ?? '').trim() !== '' || (b.text ?? '').trim() !== '', { message: 'html or text is required', path: ['text'] })

/** The tags and attributes an e-mail body may keep (the editor produces a subset). */
export const SANITIZE = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'ul', 'ol', 'li', 'a', 'blockquote', 'h2', 'h3'],
  allowedAttributes: { a: ['href'] as string[] },
  allowedSchemes: ['https', 'http', 'mailto', 'tel'],
}

export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE)
}

/** Plain text of a sanitised body: paragraphs and line breaks kept. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|li|h2|h3|blockquote)>/gi, '\n\n').replace(/<li>/gi, '• '),
    { allowedTags: [], allowedAttributes: {} })
    .replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ')
    .replace(/\n{3,}/g, '\n\n').trim()
}

export interface HandlerDeps {
  sql?: Sql
  logger?: Logger
  email?: () => EmailProvider
}

const linkSecret = () => Deno.env.get('SENDING_LINK_SECRET') ?? Deno.env.get('SUPABASE_SERVICE_ROLE_KEY') ?? ''
const publicUrl = () => (Deno.env.get('SENDING_PUBLIC_URL') ?? `${Deno.env.get('SUPABASE_URL')}/functions/v1`).replace(/\/$/, '')
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export function createHandler(deps: HandlerDeps = {}): (req: Request) => Promise<Response> {
  const logger = deps.logger ?? createLogger('send-test')
  const lastByUser = new Map<string, number>()
  return withHttp(logger, async (req, { cors, logger: log }) => {
    requireMethod(req, 'POST')
    const caller = await requireUser(req)
    const body = await parseBody(req, requestSchema, { maxBytes: 64_000 })
    const to = typeof caller.claims.email === 'string' ? caller.claims.email : ''
    if (!to) throw new HttpError('validation_failed', 'Your account has no e-mail address', { message_fr: 'Votre compte n’a pas d’adresse e-mail.' })
    const sql = deps.sql ?? db()
    await requireTenantRole(caller, body.tenant_id, 'assistant', sql)

    const now = Date.now()
    const last = lastByUser.get(caller.userId) ?? 0
    if (now - last < 3000) throw new HttpError('rate_limited', 'One test every 3 seconds', { message_fr: 'Patientez quelques secondes avant un nouvel essai.' }, { headers: { 'Retry-After': '3' } })
    lastByUser.set(caller.userId, now)

    const html = body.html?.trim() ? sanitizeEmailHtml(body.html) : `<p>${escapeHtml(body.text ?? '').replace(/\n/g, '<br>')}</p>`
    const text = body.text?.trim() ? body.text.trim() : htmlToText(html)
    const leftover = /\{\{[^}]*\}\}/.exec(`${body.subject} ${text}`)
    if (leftover) {
      throw new HttpError('validation_failed', `Unresolved variable ${leftover[0]}`, {
        code: 'unresolved_variable', variable: leftover[0],
        message_fr: `La variable ${leftover[0]} n’est pas remplacée : corrigez le message avant l’essai.`,
      })
    }

    const [info] = await withUser(caller.claims, (tx) => tx`
      select t.legal_name, coalesce(t.display_name, t.legal_name) as name, s.sender_name, s.sender_email, s.reply_to_email,
             coalesce(s.legal_footer, t.legal_name) as footer
        from public.tenants t left join public.tenant_sending_settings s on s.tenant_id = t.id where t.id = ${body.tenant_id}`, sql)
    if (!info) throw new HttpError('not_found', 'Agency not found')

    // The same footer and unsubscribe headers as a real send; the link names no send (s: 'test').
    const unsub = `${publicUrl()}/unsubscribe?t=${await signLink({ s: 'test', p: 'u' }, linkSecret())}`
    const composed = await composeEmail(text, info.footer, unsub)
    const footerHtml = composed.html.slice(composed.html.indexOf('<hr>'))
    const fullHtml = `<!doctype html><html><body><div>${html}</div>${footerHtml}`
    const email = (deps.email ?? (() => providers().email()))()
    const sent = await email.send({
      from: { name: info.sender_name ?? info.name, email: info.sender_email ?? 'no-reply@immo-ai.test' },
      to: [{ email: to }],
      replyTo: info.reply_to_email ? { email: info.reply_to_email } : undefined,
      subject: `[Test] ${body.subject}`,
      html: fullHtml,
      text: composed.text,
      headers: composed.headers,
      tags: ['test-send'],
    })
    log.info('test message sent', { tenantId: body.tenant_id, userId: caller.userId, generationId: body.generation_id })
    return json({ sent: true, to, provider_message_id: sent.providerMessageId }, { cors })
  })
}

export const handler = createHandler()
