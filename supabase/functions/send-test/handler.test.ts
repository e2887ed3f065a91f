/**
 * send-test: a draft goes to the caller only, sanitised, with the sending
 * layer's footer and one-click unsubscribe headers; through the real Brevo
 * adapter to the sandbox and the mail catcher when the stack runs.
 */
import assert from 'node:assert/strict'
import { SignJWT } from 'jose'
import { createPool } from '../_shared/db.ts'
import type { EmailMessage, EmailProvider } from '../_shared/providers/mod.ts'
import { createHandler, htmlToText, sanitizeEmailHtml } from './handler.ts'

const DB = Deno.env.get('SUPABASE_DB_URL')
const MAIL = Deno.env.get('MAIL_URL')
const opts = { sanitizeResources: false, sanitizeOps: false, ignore: !DB }
const sql = DB ? createPool(DB, 2) : (undefined as never)
const secret = Deno.env.get('SUPABASE_JWT_SECRET') ?? ''

async function world(withEmail = true) {
  const slug = `st-${crypto.randomUUID().slice(0, 8)}`
  const email = `${slug}@agence-test.fr`
  const [user] = await sql`
    insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email}, '{}', '{}', now(), now()) returning id`
  const [tenant] = await sql`insert into public.tenants (slug, legal_name, display_name) values (${slug}, 'Agence Test SARL', 'Agence Test') returning id`
  await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${tenant.id}, ${user.id}, 'agent')`
  const claims: Record<string, unknown> = { sub: user.id, role: 'authenticated', aud: 'authenticated' }
  if (withEmail) claims.email = email
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
  return { tenantId: tenant.id as string, email, token }
}

function capture() {
  const sent: EmailMessage[] = []
  const email: EmailProvider = { name: 'capture', send: (m) => (sent.push(m), Promise.resolve({ providerMessageId: `msg-${sent.length}` })), verifyWebhook: () => true }
  return { sent, email: () => email }
}

const post = (h: (r: Request) => Promise<Response>, token: string, body: unknown) =>
  h(new Request('http://fn.local/send-test', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }))

Deno.test('send-test: sanitiser keeps formatting, drops scripts, handlers and javascript: links', () => {
  const out = sanitizeEmailHtml('<p onclick="x()">Bonjour <strong>Claire</strong><script>alert(1)</script> <a href="javascript:alert(1)">ici</a> <a href="https://agence.fr">site</a></p><img src=x onerror=alert(1)>')
  assert.equal(out, '<p>Bonjour <strong>Claire</strong> <a>ici</a> <a href="https://agence.fr">site</a></p>')
  assert.equal(htmlToText('<p>Bonjour,</p><p>Ligne 1<br>Ligne 2</p><ul><li>Un</li></ul>'), 'Bonjour,\n\nLigne 1\nLigne 2\n\n• Un')
})

Deno.test({ name: 'send-test: to the caller only, with footer and one-click unsubscribe; unresolved variables, strangers and users without e-mail refused', ...opts, fn: async () => {
  const c = capture()
  const h = createHandler({ sql, email: c.email })
  const w = await world()
  const res = await post(h, w.token, { tenant_id: w.tenantId, subject: 'Votre bien à Lyon', html: '<p>Bonjour <em>Claire</em>,</p><script>x</script><p>À bientôt</p>', to: 'victim@example.com' })
  const b = await res.json()
  assert.equal(res.status, 200, JSON.stringify(b))
  assert.deepEqual([b.sent, b.to], [true, w.email])
  const m = c.sent[0]
  assert.deepEqual(m.to, [{ email: w.email }])
  assert.equal(m.subject, '[Test] Votre bien à Lyon')
  assert.doesNotMatch(m.html!, /<script/)
  assert.match(m.html!, /<em>Claire<\/em>/)
  assert.match(m.html!, /Agence Test SARL/)
  assert.match(m.html!, /Se désinscrire/)
  assert.match(m.text!, /Bonjour Claire,\n\nÀ bientôt\n\n--\nAgence Test SARL\nSe désinscrire : http/)
  assert.match(m.headers!['List-Unsubscribe'], /^<https?:\/\/.+\/unsubscribe\?t=.+>$/)
  assert.equal(m.headers!['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')

  const again = await post(createHandler({ sql, email: c.email }), w.token, { tenant_id: w.tenantId, subject: 'Bonjour {{firstName}}', text: 'Texte' })
  const a = await again.json()
  assert.deepEqual([again.status, a.error.details.code], [422, 'unresolved_variable'])
  assert.match(a.error.details.message_fr, /\{\{firstName\}\}/)

  const other = await world()
  const stranger = await post(createHandler({ sql, email: c.email }), other.token, { tenant_id: w.tenantId, subject: 'x', text: 'y' })
  assert.equal(stranger.status, 403)
  const noMail = await world(false)
  const nm = await post(createHandler({ sql, email: c.email }), noMail.token, { tenant_id: noMail.tenantId, subject: 'x', text: 'y' })
  assert.equal(nm.status, 422)
  assert.equal((await post(createHandler({ sql, email: c.email }), w.token, { tenant_id: w.tenantId, subject: 'x' })).status, 422)
  assert.equal(c.sent.length, 1, 'nothing else was sent')
}})

Deno.test({ name: 'send-test: through the Brevo adapter and the sandbox into the mail catcher', ...opts, ignore: !DB || !MAIL || !Deno.env.get('BREVO_BASE_URL'), fn: async () => {
  const w = await world()
  const res = await post(createHandler({ sql }), w.token, { tenant_id: w.tenantId, subject: 'Premier message', html: '<p>Bonjour Claire,</p><p>Agence Test</p>' })
  assert.equal(res.status, 200, await res.clone().text())
  const r = await fetch(`${MAIL}/api/messages?to=${encodeURIComponent(w.email)}&wait=10000`)
  const list = await r.json() as { subject: string; html: string; headers: Record<string, string> }[]
  assert.equal(list.length, 1)
  assert.equal(list[0].subject, '[Test] Premier message')
  assert.match(list[0].headers['list-unsubscribe'], /unsubscribe\?t=/)
  assert.equal(list[0].headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click')
}})

Deno.test({ name: 'send-test: close the pool', ...opts, fn: async () => { await sql.end() } })
