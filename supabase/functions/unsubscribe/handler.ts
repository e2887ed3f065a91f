/**
 * unsubscribe: the link every e-mail carries (`List-Unsubscribe` and the
 * footer), `?t=<signed token>` (HMAC, _shared/sending/tokens.ts).
 *
 * - GET shows a confirmation page with one button (French, English per
 *   Accept-Language); a GET never unsubscribes (mail scanners follow links);
 * - POST unsubscribes: the RFC 8058 one-click POST of mail clients
 *   (`List-Unsubscribe=One-Click`) and the page's button alike. It takes effect
 *   at once on every channel and every sequence of the tenant
 *   (private.unsubscribe_send: hashed suppression, consents opted out,
 *   enrolments exited, queued sends cancelled) and is recorded once however
 *   often it is repeated. A one-click POST gets a short 200; a browser gets
 *   the done page.
 * Public (verify_jwt = false), rate-limited per client IP; a token that does
 * not verify is 400 with an explanation page. Service role, because the person
 * clicking is not a user: the signed token names the send, hence the tenant.
 */
import { z } from 'zod'
import { db, withService, type Sql } from '../_shared/db.ts'
import { HttpError, withHttp } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { escapeHtml } from '../_shared/sending/html.ts'
import { linkSecret } from '../_shared/sending/config.ts'
import { pickLang, unsubscribeMessages, type Lang } from '../_shared/sending/messages.ts'
import { clientIp, rateLimit } from '../_shared/sending/public.ts'
import { verifyLink } from '../_shared/sending/tokens.ts'

const log = createLogger('unsubscribe')
const REASON = 'public unsubscribe link: the signed token names the send and its tenant'
const query = z.object({ t: z.string().min(10).max(2000) })

function page(lang: Lang, status: number, title: string, body: string, form?: { action: string; button: string }): Response {
  const m = unsubscribeMessages[lang]
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(m.title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1f2937;margin:0;padding:48px 16px}` +
    `main{max-width:480px;margin:auto;background:#fff;border-radius:12px;padding:32px;box-shadow:0 1px 3px #0002}` +
    `h1{font-size:1.4rem;margin-top:0}button{font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:8px;padding:12px 20px;cursor:pointer}` +
    `button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}</style></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>` +
    (form ? `<form method="post" action="${escapeHtml(form.action)}"><button type="submit">${escapeHtml(form.button)}</button></form>` : '') +
    `</main></body></html>`
  return new Response(html, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer',
               'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
               'content-language': lang },
  })
}

export async function handle(req: Request, sql: Sql = db()): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use GET or POST', undefined, { headers: { Allow: 'GET, POST' } })
  await rateLimit(sql, 'unsubscribe', req)
  const lang = pickLang(req.headers.get('accept-language'))
  const m = unsubscribeMessages[lang]
  const url = new URL(req.url)
  const q = query.safeParse(Object.fromEntries(url.searchParams))
  const token = q.success ? await verifyLink(q.data.t, linkSecret()) : null
  if (!token || token.p !== 'u' || !z.uuid().safeParse(token.s).success) return page(lang, 400, m.invalidTitle, m.invalidBody)

  if (req.method === 'GET') {
    const [row] = await withService(REASON, (tx) => tx`
      select coalesce(nullif(btrim(t.display_name), ''), t.legal_name) as agency
        from public.message_sends s join public.tenants t on t.id = s.tenant_id where s.id = ${token.s}`, { sql, logger: log })
    if (!row) return page(lang, 400, m.invalidTitle, m.invalidBody)
    return page(lang, 200, m.confirmTitle, m.confirmBody(row.agency ?? m.agencyFallback), { action: `?t=${encodeURIComponent(q.data!.t)}`, button: m.confirmButton })
  }

  const type = req.headers.get('content-type') ?? ''
  const body = type.includes('application/x-www-form-urlencoded') ? new URLSearchParams((await req.text()).slice(0, 10_000)) : new URLSearchParams()
  const oneClick = body.get('List-Unsubscribe') === 'One-Click'
  const [r] = await withService(REASON, (tx) => tx`select private.unsubscribe_send(${token.s}::uuid, ${oneClick ? 'one_click' : 'link'}) as r`, { sql, logger: log })
  const res = r.r as { done: boolean; already: boolean; agency: string | null }
  if (!res.done) return page(lang, 400, m.invalidTitle, m.invalidBody)
  log.info('unsubscribed', { context: { sendId: token.s, oneClick, already: res.already, ip: clientIp(req) === 'unknown' ? null : 'present' } })
  if (oneClick) return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
  const agency = res.agency ?? m.agencyFallback
  return page(lang, 200, m.doneTitle, res.already ? m.alreadyBody(agency) : m.doneBody(agency))
}

export const handler = withHttp(log, (req) => handle(req))
