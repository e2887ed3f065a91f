/**
 * brevo-webhook through the real @getbrevo/brevo SDK and the provider
 * sandbox: the worker sends, the sandbox fires Brevo's own webhooks at the
 * handler (served on a loopback port), and we check the rows, the replays and
 * the token check.
 */
import assert from 'node:assert/strict'
import { env, noStack, opts, sandbox, sendingFixture, tickAndSend } from '../_shared/sending/testing.ts'
import { eventId, mapEvent, brevoPayload } from './parse.ts'
import { handler } from './handler.ts'

Deno.test('brevo payloads: events, batches and inbound items parse; names map', () => {
  const one = brevoPayload.parse({ event: 'delivered', 'message-id': '<a@b>', ts_epoch: 1 })
  assert.equal(one.kind, 'events')
  assert.equal(brevoPayload.parse([{ event: 'click', link: 'https://x.test' }]).kind, 'events')
  assert.equal(brevoPayload.parse({ items: [{ MessageId: '<m@x>', From: { Address: 'a@b.test' } }] }).kind, 'inbound')
  assert.throws(() => brevoPayload.parse({ nothing: true }))
  assert.deepEqual(mapEvent('spam'), { type: 'complained' })
  assert.deepEqual(mapEvent('proxy_open'), { type: 'opened', proxy: true })
  assert.equal(mapEvent('request'), null)
  assert.equal(eventId({ event: 'click', 'message-id': '<a@b>', ts_epoch: 5, link: 'https://x' }), '<a@b>:click:5:https://x')
})

Deno.test({ name: 'brevo-webhook: a wrong or missing token is refused (401), nothing recorded', ignore: noStack, ...opts, fn: async () => {
  const body = JSON.stringify({ event: 'spam', 'message-id': '<x@y>', ts_epoch: 1 })
  for (const auth of [undefined, 'Bearer wrong-token-123', `Bearer ${env.BREVO_WEBHOOK_TOKEN}x`, env.BREVO_WEBHOOK_TOKEN]) {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (auth) headers.authorization = auth
    const r = await handler(new Request('http://local/brevo-webhook', { method: 'POST', headers, body }))
    assert.equal(r.status, 401, String(auth))
    assert.equal((await r.json()).error.code, 'unauthorized')
  }
} })

Deno.test({ name: 'brevo-webhook: sandbox events are recorded once (replay ×5), a click flags a proxy open apart, a bounce suppresses', ignore: noStack, ...opts, fn: async () => {
  const f = await sendingFixture({ contacts: 2 })
  const srv = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler)
  const url = `http://127.0.0.1:${srv.addr.port}/brevo-webhook`
  try {
    assert.equal((await tickAndSend(f)).enqueued, 2)
    const sends = await f.sql`select id, contact_id, provider_message_id from public.message_sends where tenant_id = ${f.tenantId} order by to_address`
    assert.ok(sends.every((s) => s.provider_message_id), 'both sent through the sandbox')
    const [a, b] = sends

    const d = await sandbox('/brevo/events', { messageId: a.provider_message_id, event: 'delivered', url })
    assert.equal(d.status, 200)
    // Replay the very same webhook five times: one row, one domain event.
    const delivery = (await fetch(`${env.SANDBOX_URL}/_sandbox/deliveries?provider=brevo&limit=20`).then((r) => r.json()))
      .find((x: { id: string }) => x.id === d.id)
    for (let i = 0; i < 5; i++) {
      const r = await fetch(url, { method: 'POST', headers: delivery.requestHeaders, body: delivery.body })
      assert.equal(r.status, 200)
      assert.deepEqual((await r.json()).results, ['replay'])
    }
    const [ev] = await f.sql`select count(*)::int as n from public.message_events where send_id = ${a.id} and type = 'delivered'`
    assert.equal(ev.n, 1)
    const [de] = await f.sql`select count(*)::int as n from public.events where tenant_id = ${f.tenantId} and type = 'message.delivered'`
    assert.equal(de.n, 1)
    const [st] = await f.sql`select status from public.message_sends where id = ${a.id}`
    assert.equal(st.status, 'delivered')

    await sandbox('/brevo/events', { messageId: a.provider_message_id, event: 'proxy_open', url })
    await sandbox('/brevo/events', { messageId: a.provider_message_id, event: 'click', link: 'https://agence.example.fr/estimation', url })
    const evs = await f.sql`select type::text, payload from public.message_events where send_id = ${a.id} order by id`
    assert.deepEqual(evs.map((e) => e.type), ['delivered', 'opened', 'clicked'])
    assert.equal(evs[1].payload.bot, true, 'a privacy-proxy open is flagged')

    await sandbox('/brevo/events', { messageId: b.provider_message_id, event: 'hard_bounce', url })
    const [sup] = await f.sql`select count(*)::int as n from public.suppressions where tenant_id = ${f.tenantId} and reason = 'bounce'`
    assert.ok(sup.n >= 1, 'the bounced address is suppressed')
    const [fb] = await f.sql`select status::text, error from public.message_sends where id = ${b.id}`
    assert.equal(fb.status, 'failed')
    assert.match(fb.error, /User unknown/)
    await sandbox('/brevo/events', { messageId: a.provider_message_id, event: 'spam', url })
    const [ex] = await f.sql`select status::text, exit_reason from public.sequence_enrolments where tenant_id = ${f.tenantId} and contact_id = ${a.contact_id}`
    assert.deepEqual([ex.status, ex.exit_reason], ['exited', 'complained'], 'a complaint exits the enrolment')
  } finally {
    await srv.shutdown()
    await f.cleanup()
  }
} })

Deno.test({ name: 'brevo-webhook: an inbound reply joins the thread and stops the enrolment; STOP in free text suppresses every channel', ignore: noStack, ...opts, fn: async () => {
  const f = await sendingFixture({ contacts: 2 })
  await f.sql`insert into public.sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants)
              values (${f.tenantId}, ${f.sequenceId}, 2, 2, 'email', '[{"key":"A","subject":"Relance","body":"Je me permets de revenir vers vous"}]')`
  const srv = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler)
  const url = `http://127.0.0.1:${srv.addr.port}/brevo-webhook`
  try {
    await tickAndSend(f)
    const [a, b] = await f.sql`select id, contact_id, provider_message_id from public.message_sends where tenant_id = ${f.tenantId} order by to_address`
    const r = await sandbox('/brevo/reply', { messageId: a.provider_message_id, text: 'Bonjour, oui je veux bien une estimation jeudi.', html: '<p>Bonjour, <b>oui</b><script>alert(1)</script></p>', url })
    assert.equal(r.status, 200)
    const [cv] = await f.sql`select id, status::text, unread_count, last_direction::text from public.conversations where tenant_id = ${f.tenantId} and contact_id = ${a.contact_id}`
    assert.equal(cv.status, 'open')
    assert.equal(cv.unread_count, 1)
    const msgs = await f.sql`select direction::text, send_id, body_text, body_html from public.conversation_messages where conversation_id = ${cv.id} order by created_at`
    assert.deepEqual(msgs.map((m) => m.direction), ['out', 'in'], 'the answered e-mail, then the answer')
    assert.equal(msgs[0].send_id, a.id)
    assert.equal(msgs[1].body_html, '<p>Bonjour, <b>oui</b></p>')
    const [e] = await f.sql`select status::text, exit_reason from public.sequence_enrolments where tenant_id = ${f.tenantId} and contact_id = ${a.contact_id}`
    assert.deepEqual([e.status, e.exit_reason], ['exited', 'replied'])

    await sandbox('/brevo/reply', { messageId: b.provider_message_id, text: 'Merci de me désinscrire de votre liste.', url })
    const [c] = await f.sql`select email_consent::text, sms_consent::text, whatsapp_consent::text from public.contacts where id = ${b.contact_id}`
    assert.deepEqual(Object.values(c), ['opt_out', 'opt_out', 'opt_out'])
    const sup = await f.sql`select address_kind from public.suppressions where tenant_id = ${f.tenantId} order by 1`
    assert.deepEqual(sup.map((s) => s.address_kind), ['email', 'phone'], 'e-mail and phone both suppressed (hashes)')
    const [g] = await f.sql`select * from private.can_send(${b.contact_id}, 'sms', now())`
    assert.deepEqual([g.allowed, g.reason], [false, 'suppressed'])
  } finally {
    await srv.shutdown()
    await f.cleanup()
  }
} })
