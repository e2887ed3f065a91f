/**
 * unsubscribe end to end: the worker sends through the real Brevo SDK into
 * the sandbox → mail catcher; the test follows the e-mail's own
 * List-Unsubscribe URL through the stack's gateway to this function.
 */
import assert from 'node:assert/strict'
import { env, mailFor, noStack, opts, sendingFixture, tickAndSend } from '../_shared/sending/testing.ts'
import { pickLang } from '../_shared/sending/messages.ts'

Deno.test('the page language follows Accept-Language, French by default', () => {
  assert.equal(pickLang(null), 'fr')
  assert.equal(pickLang('en-GB,en;q=0.9'), 'en')
  assert.equal(pickLang('de-DE,en;q=0.5,fr;q=0.8'), 'fr')
  assert.equal(pickLang('de-DE'), 'fr')
})

Deno.test({ name: 'unsubscribe: GET confirms (nothing changes), one-click POST (RFC 8058) stops every channel and sequence at once, replays count once, forged links are refused', ignore: noStack, ...opts, fn: async () => {
  const f = await sendingFixture({ contacts: 1 })
  try {
    const c = f.contacts[0]
    // A second sequence (SMS) the contact is also enrolled in, paused for now.
    const [s2] = await f.sql`insert into public.sequences (tenant_id, name, status, audience) values (${f.tenantId}, 'SMS', 'active', 'segment') returning id`
    await f.sql`insert into public.sequence_steps (tenant_id, sequence_id, position, channel, variants) values (${f.tenantId}, ${s2.id}, 1, 'sms', '[{"key":"A","body":"Bonjour"}]')`
    await f.sql`insert into public.sequence_enrolments (tenant_id, sequence_id, contact_id, status) values (${f.tenantId}, ${s2.id}, ${c.id}, 'paused')`
    await f.sql`insert into public.sequence_steps (tenant_id, sequence_id, position, day_offset, channel, variants) values (${f.tenantId}, ${f.sequenceId}, 2, 3, 'email', '[{"key":"A","subject":"Relance","body":"Relance"}]')`
    await tickAndSend(f, ['email'])
    const mail = await mailFor(c.email)
    assert.equal(mail.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click')
    const link = /^<(.+)>$/.exec(mail.headers['list-unsubscribe'])![1]
    assert.ok(link.startsWith(`${env.SUPABASE_URL}/functions/v1/unsubscribe?t=`), link)
    assert.ok(mail.text.includes(link), 'the footer carries the same link')

    const fr = await fetch(link, { headers: { 'accept-language': 'fr-FR' } })
    assert.equal(fr.status, 200)
    const page = await fr.text()
    assert.match(page, /Me désinscrire/)
    assert.match(page, /Agence Test SARL/)
    const en = await (await fetch(link, { headers: { 'accept-language': 'en-US,en;q=0.9' } })).text()
    assert.match(en, /Unsubscribe me/)
    const [before] = await f.sql`select email_consent::text from public.contacts where id = ${c.id}`
    assert.notEqual(before.email_consent, 'opt_out', 'a GET (link scanners) changes nothing')

    for (let i = 0; i < 5; i++) {
      const r = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
      assert.equal(r.status, 200)
      await r.body?.cancel()
    }
    const [ev] = await f.sql`select count(*)::int as n from public.message_events where tenant_id = ${f.tenantId} and type = 'unsubscribed'`
    assert.equal(ev.n, 1, 'five one-click POSTs, one event')
    const en2 = await f.sql`select status::text, exit_reason from public.sequence_enrolments where tenant_id = ${f.tenantId} order by sequence_id`
    assert.ok(en2.every((e) => e.status === 'exited' && e.exit_reason === 'unsubscribed'), JSON.stringify(en2))
    const sup = await f.sql`select address_kind, address_hash from public.suppressions where tenant_id = ${f.tenantId} order by 1`
    assert.deepEqual(sup.map((s) => s.address_kind), ['email', 'phone'])
    assert.ok(sup.every((s) => /^[0-9a-f]{64}$/.test(s.address_hash) && !s.address_hash.includes('@')), 'kept as hashes')
    const [g] = await f.sql`select * from private.can_send(${c.id}, 'sms', now())`
    assert.deepEqual([g.allowed, g.reason], [false, 'suppressed'])

    const browser = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })
    assert.match(await browser.text(), /déjà enregistrée/)

    const t = new URL(link).searchParams.get('t')!
    const forged = `${t.split('.')[0]}.${'A'.repeat(43)}`
    const bad = await fetch(link.replace(t, forged), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
    assert.equal(bad.status, 400)
    await bad.body?.cancel()
  } finally {
    await f.cleanup()
  }
} })
