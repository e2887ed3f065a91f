/**
 * track: open pixel and click redirect on our own tracking URLs.
 *   GET /track/o/<token>   1×1 transparent GIF, records `opened` (first one per send)
 *   GET /track/c/<token>   302 to the signed target URL, records `clicked` (first per send and link)
 * Tokens are HMAC-signed (_shared/sending/tokens.ts) and carry the send id and,
 * for clicks, the target: a forged or altered link gets 400 and redirects
 * nowhere (no open redirect). Bots, privacy proxies and link scanners are
 * flagged on the event (`bot`, `proxy`, `why`) and never count as an
 * interaction; opens are indicative only (images blocked or preloaded).
 * Public (verify_jwt = false), rate-limited per client IP. Service role,
 * because the reader is not a user: the signed token names the send.
 * Recording never delays the answer beyond one short transaction; a failure to
 * record still serves the pixel / the redirect.
 */
import { db, withService, type Sql } from '../_shared/db.ts'
import { HttpError, withHttp } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { linkSecret } from '../_shared/sending/config.ts'
import { rateLimit } from '../_shared/sending/public.ts'
import { verifyLink } from '../_shared/sending/tokens.ts'
import { classifyAgent } from './bots.ts'

const log = createLogger('track')
const REASON = 'public tracking link: the signed token names the send and its tenant'
const GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (c) => c.charCodeAt(0))
const NO_STORE = { 'cache-control': 'no-store, no-cache, must-revalidate, private', pragma: 'no-cache', 'referrer-policy': 'no-referrer' }

async function sha(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))
  return [...d.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

async function record(sql: Sql, kind: 'open' | 'click', sendId: string, req: Request, url?: string) {
  const ua = req.headers.get('user-agent')
  await withService(REASON, async (tx) => {
    const [s] = await tx`select sent_at from public.message_sends where id = ${sendId}`
    if (!s) return
    const c = classifyAgent(ua, { kind, sentAt: s.sent_at ? new Date(s.sent_at) : null })
    const id = kind === 'open' ? `open:${sendId}` : `click:${sendId}:${await sha(url!)}`
    // A bot's event gets its own id, so the person's later open or click is still recorded.
    const eventId = c.bot ? `${id}:bot` : id
    await tx`select private.record_message_event('immo-ai', ${eventId}, ${kind === 'open' ? 'opened' : 'clicked'}::public.message_event_type,
               ${sendId}::uuid, null, now(), ${tx.json({ link: url ?? null, bot: c.bot, proxy: c.proxy ?? null, why: c.why ?? null, indicative: kind === 'open' })})`
  }, { sql, logger: log })
}

export async function handle(req: Request, sql: Sql = db()): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError('method_not_allowed', 'Use GET', undefined, { headers: { Allow: 'GET, HEAD' } })
  const m = /\/track\/(o|c)\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?:\.gif)?$/.exec(new URL(req.url).pathname)
  if (!m) throw new HttpError('not_found', 'Unknown tracking link')
  await rateLimit(sql, 'track', req, 600)
  const token = await verifyLink(m[2], linkSecret())
  if (!token || token.p !== m[1]) throw new HttpError('bad_request', 'Invalid tracking link')
  if (m[1] === 'o') {
    if (req.method === 'GET') await record(sql, 'open', token.s, req).catch((e) => log.error('open not recorded', e))
    return new Response(req.method === 'HEAD' ? null : GIF, { status: 200, headers: { 'content-type': 'image/gif', ...NO_STORE } })
  }
  let target: URL
  try {
    target = new URL(token.url ?? '')
  } catch {
    throw new HttpError('bad_request', 'Invalid tracking link')
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new HttpError('bad_request', 'Invalid tracking link')
  if (req.method === 'GET') await record(sql, 'click', token.s, req, target.toString()).catch((e) => log.error('click not recorded', e))
  return new Response(null, { status: 302, headers: { location: target.toString(), ...NO_STORE } })
}

export const handler = withHttp(log, (req) => handle(req))
