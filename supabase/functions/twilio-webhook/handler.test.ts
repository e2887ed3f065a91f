/**
 * twilio-webhook through the real twilio SDK and the provider sandbox: the
 * worker sends SMS/WhatsApp (status callback URL carrying the send id), the
 * sandbox posts Twilio's signed callbacks and inbound messages to the
 * handler served on a loopback port (SENDING_PUBLIC_URL points there, so the
 * signature is checked against the URL Twilio posted to).
 */
import assert from 'node:assert/strict'
import { resetConfig } from '../_shared/config.ts'
import { env, noStack, opts, sandbox, sendingFixture, tickAndSend } from '../_shared/sending/testing.ts'
import { handler } from './handler.ts'
import { mapStatus, parseTwilio } from './parse.ts'

Deno.test('twilio bodies: status vs inbound; statuses map', () => {
  const sid = 'SM' + '0'.repeat(32)
  assert.equal(parseTwilio({ MessageSid: sid, MessageStatus: 'delivered', AccountSid: 'AC1' }).kind, 'status')
  assert.equal(parseTwilio({ MessageSid: sid, SmsStatus: 'received', AccountSid: 'AC1', From: '+33612345678', To: '+33700000000', Body: 'STOP' }).kind, 'inbound')
  assert.deepEqual(mapStatus('undelivered', '30005'), { type: 'bounced' })
  assert.deepEqual(mapStatus('failed', '30008'), { type: 'failed' })
  assert.equal(mapStatus('sent'), null)
})

async function serve() {
  const srv = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler)
  const base = `http://127.0.0.1:${srv.addr.port}`
  Deno.env.set('SENDING_PUBLIC_URL', base)
  resetConfig()
  return { srv, base, url: `${base}/twilio-webhook` }
}
async function unserve(srv: Deno.HttpServer) {
  await srv.shutdown()
  Deno.env.delete('SENDING_PUBLIC_URL')
  resetConfig()
}

Deno.test({ name: 'twilio-webhook: bad, missing or replayed-elsewhere signatures are refused (403)', ignore: noStack, ...opts, fn: async () => {
  const { srv, url, base } = await serve()
  try {
    const d = await sandbox('/twilio/inbound', { from: '+33612999001', to: '+33700000001', body: 'Bonjour', url })
    const delivery = (await fetch(`${env.SANDBOX_URL}/_sandbox/deliveries?provider=twilio&limit=20`).then((r) => r.json())).find((x: { id: string }) => x.id === d.id)
    const sig = delivery.requestHeaders['x-twilio-signature']
    const post = (u: string, body: string, signature?: string) => fetch(u, { method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) } })
    assert.equal((await post(url, delivery.body, sig)).status, 200, 'the genuine request passes')
    assert.equal((await post(url, delivery.body)).status, 403, 'no signature')
    assert.equal((await post(url, delivery.body, sig.slice(0, -2) + 'AA')).status, 403, 'altered signature')
    assert.equal((await post(url, delivery.body.replace('Bonjour', 'STOP'), sig)).status, 403, 'altered body')
    assert.equal((await post(`${base}/twilio-webhook?send=00000000-0000-4000-8000-000000000000`, delivery.body, sig)).status, 403, 'other URL')
  } finally {
    await unserve(srv)
  }
} })

Deno.test({ name: 'twilio-webhook: status callbacks update the ledger once (replay ×5); STOP spellings suppress every channel; a reply stops the sequence', ignore: noStack, ...opts, fn: async () => {
  const { srv, url } = await serve()
  const f = await sendingFixture({ contacts: 6, channel: 'sms', body: 'Bonjour {{firstName}}, une estimation de votre bien ?' })
  try {
    assert.equal((await tickAndSend(f)).enqueued, 6)
    const sends = await f.sql`select id, contact_id, to_address, provider_message_id from public.message_sends where tenant_id = ${f.tenantId} order by to_address`
    assert.ok(sends.every((s) => /^SM[0-9a-f]{32}$/.test(s.provider_message_id)), 'sent through the SDK')
    // The sandbox posts sent + delivered on its own; wait for the delivered ones.
    for (let i = 0; i < 100; i++) {
      const [n] = await f.sql`select count(*)::int as n from public.message_sends where tenant_id = ${f.tenantId} and status = 'delivered'`
      if (n.n === 6) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const [dl] = await f.sql`select count(*)::int as n from public.message_events where tenant_id = ${f.tenantId} and type = 'delivered'`
    assert.equal(dl.n, 6)
    // Replay one delivered callback five times: counted once.
    const d = await sandbox('/twilio/status', { sid: sends[0].provider_message_id, status: 'delivered' })
    const delivery = (await fetch(`${env.SANDBOX_URL}/_sandbox/deliveries?provider=twilio&limit=50`).then((r) => r.json()))
      .find((x: { event: string; body: string }) => x.event === 'status:delivered' && x.body.includes(sends[0].provider_message_id))
    assert.ok(d)
    for (let i = 0; i < 5; i++) {
      const r = await fetch(delivery.url, { method: 'POST', headers: delivery.requestHeaders, body: delivery.body })
      assert.equal(r.status, 200)
    }
    const [once] = await f.sql`select count(*)::int as n from public.message_events where send_id = ${sends[0].id} and type = 'delivered'`
    assert.equal(once.n, 1)

    const spellings = ['STOP', 'arrêt', 'STOP SMS', 'Stop merci', 'Merci de ne plus me contacter']
    for (const [i, body] of spellings.entries()) {
      const r = await sandbox('/twilio/inbound', { from: sends[i].to_address, to: '+33700000001', body, url })
      assert.equal(r.status, 200, body)
      const [g] = await f.sql`select * from private.can_send(${sends[i].contact_id}, 'email', now())`
      assert.deepEqual([g.allowed, g.reason], [false, 'suppressed'], `${body}: suppressed on e-mail too`)
    }
    const [ev] = await f.sql`select count(*)::int as n from public.message_events where tenant_id = ${f.tenantId} and type = 'unsubscribed'`
    assert.equal(ev.n, 5)

    const last = sends[5]
    await sandbox('/twilio/inbound', { from: last.to_address, to: '+33700000001', body: "Oui, appelez-moi demain à 18h s'il vous plaît", url })
    const [cv] = await f.sql`select c.id, c.channel::text, c.unread_count from public.conversations c where c.tenant_id = ${f.tenantId} and c.contact_id = ${last.contact_id}`
    assert.deepEqual([cv.channel, cv.unread_count], ['sms', 1])
    const [e] = await f.sql`select status::text, exit_reason from public.sequence_enrolments where tenant_id = ${f.tenantId} and contact_id = ${last.contact_id}`
    assert.deepEqual([e.status, e.exit_reason], ['exited', 'replied'])
    const [g] = await f.sql`select * from private.can_send(${last.contact_id}, 'email', now())`
    assert.notEqual(g.reason, 'suppressed', 'a reply is not an opt-out')
  } finally {
    await unserve(srv)
    await f.cleanup()
  }
} })
