/**
 * track end to end: the links of an e-mail sent through the real Brevo SDK
 * (sandbox → mail catcher), fetched through the stack's gateway.
 */
import assert from 'node:assert/strict'
import { mailFor, noStack, opts, sendingFixture, tickAndSend } from '../_shared/sending/testing.ts'
import { classifyAgent } from './bots.ts'

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

Deno.test('bots and privacy proxies are recognised', () => {
  assert.deepEqual(classifyAgent(CHROME, { kind: 'open' }), { bot: false })
  assert.equal(classifyAgent('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', { kind: 'open' }).proxy, 'gmail_image_proxy')
  assert.equal(classifyAgent('Barracuda Sentinel (EE)', { kind: 'click' }).bot, true)
  assert.equal(classifyAgent('', { kind: 'click' }).why, 'no_user_agent')
  assert.equal(classifyAgent(CHROME, { kind: 'click', sentAt: new Date(Date.now() - 2000) }).why, 'too_fast')
})

Deno.test({ name: 'track: the pixel records an indicative open, a click redirects and counts once; bots are flagged apart; forged links go nowhere', ignore: noStack, ...opts, fn: async () => {
  const f = await sendingFixture({ contacts: 1, body: 'Découvrez notre estimation : https://agence.example.fr/estimation?ref=42' })
  try {
    await tickAndSend(f, ['email'])
    const c = f.contacts[0]
    const mail = await mailFor(c.email)
    const pixel = /<img src="([^"]+\/track\/o\/[^"]+)"/.exec(mail.html)![1].replaceAll('&amp;', '&')
    const click = /href="([^"]+\/track\/c\/[^"]+)"/.exec(mail.html)![1].replaceAll('&amp;', '&')
    const [send] = await f.sql`select id from public.message_sends where tenant_id = ${f.tenantId}`

    const proxy = await fetch(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)' } })
    assert.equal(proxy.headers.get('content-type'), 'image/gif')
    await proxy.body?.cancel()
    // A security gateway scanning the link is flagged, and still redirected.
    const scan = await fetch(click, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Mimecast URL Protect)' } })
    assert.equal(scan.status, 302)
    await f.sql`update public.message_sends set sent_at = now() - interval '5 minutes' where id = ${send.id}`
    await f.sql`update public.contacts set last_activity_at = now() - interval '2 years' where id = ${c.id}`
    for (let i = 0; i < 3; i++) {
      const o = await fetch(pixel, { headers: { 'user-agent': CHROME } })
      assert.equal(o.status, 200)
      assert.equal(o.headers.get('cache-control')?.includes('no-store'), true)
      await o.body?.cancel()
      const r = await fetch(click, { redirect: 'manual', headers: { 'user-agent': CHROME } })
      assert.equal(r.status, 302)
      assert.equal(r.headers.get('location'), 'https://agence.example.fr/estimation?ref=42')
      await r.body?.cancel()
    }
    const evs = await f.sql`select type::text, payload from public.message_events where send_id = ${send.id} order by id`
    assert.deepEqual(evs.map((e) => `${e.type}:${e.payload.bot}`), ['opened:true', 'clicked:true', 'opened:false', 'clicked:false'])
    assert.equal(evs[2].payload.indicative, true)
    const [after] = await f.sql`select last_activity_at from public.contacts where id = ${c.id}`
    assert.ok(Date.now() - new Date(after.last_activity_at).getTime() < 600_000, 'a human click is an interaction (3-year rule)')

    const token = /\/track\/c\/([^/?#]+)/.exec(click)![1]
    const [body] = token.split('.')
    const other = btoa(JSON.stringify({ s: send.id, p: 'c', url: 'https://evil.example/' })).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
    const forged = await fetch(click.replace(token, `${other}.${token.split('.')[1]}`), { redirect: 'manual' })
    assert.equal(forged.status, 400)
    assert.equal(forged.headers.get('location'), null)
    await forged.body?.cancel()
    assert.ok(body.length > 10)
  } finally {
    await f.cleanup()
  }
} })
