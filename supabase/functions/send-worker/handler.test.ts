/**
 * send-worker against the database (ledger, gate, pgmq) with recording
 * providers in place of Brevo/Twilio: every due (enrolment, step) reaches the
 * provider once, a replayed queue message is a no-op, and a row left in
 * `sending` by a crash after the provider call is reconciled, not re-sent.
 * (Tests through the real SDKs against the stack's provider sandbox are still
 * to be written: the sandbox is not in the stack yet.)
 */
import assert from 'node:assert/strict'
import { createPool } from '../_shared/db.ts'
import { withTickLock } from '../_shared/sending/testing.ts'
import type { OutgoingEmail, OutgoingSms } from '../_shared/sending/providers.ts'
import { composeEmail, composeSms, drainAll, setProviders } from './handler.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }

Deno.test('composeEmail carries text, HTML, the legal footer and RFC 8058 headers; composeSms adds STOP', async () => {
  const c = await composeEmail('Bonjour <Paul>', 'Agence Étoile SARL — RCS Paris', 'https://x.test/unsubscribe?t=abc')
  assert.match(c.text, /Agence Étoile SARL/)
  assert.match(c.html, /Bonjour &lt;Paul&gt;/)
  assert.equal(c.headers['List-Unsubscribe'], '<https://x.test/unsubscribe?t=abc>')
  assert.equal(c.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')
  assert.match(composeSms('Bonjour'), /STOP/)
})

Deno.test('composeEmail: links become signed click links, an open pixel is added, the text part keeps the plain URL', async () => {
  const { verifyLink } = await import('../_shared/sending/tokens.ts')
  const c = await composeEmail('Voir https://agence.example.fr/bien?id=4&x=1. Merci', 'Footer', 'https://f.test/unsubscribe?t=u',
    { sendId: '6f1c7a56-3a0e-4a5e-9a7e-1b2c3d4e5f60', base: 'https://f.test', secret: 'a-secret-of-16-chars' })
  assert.match(c.text, /https:\/\/agence\.example\.fr\/bien\?id=4&x=1\. Merci/)
  const href = /href="https:\/\/f\.test\/track\/c\/([^"]+)"/.exec(c.html)![1]
  assert.deepEqual(await verifyLink(href, 'a-secret-of-16-chars'), { s: '6f1c7a56-3a0e-4a5e-9a7e-1b2c3d4e5f60', p: 'c', url: 'https://agence.example.fr/bien?id=4&x=1' })
  assert.match(c.html, /<img src="https:\/\/f\.test\/track\/o\/[^"]+\.gif" width="1" height="1"/)
})

Deno.test({ name: 'send-worker: each queued send reaches the provider once; replays and a crash after the call do not double it', ...opts, fn: async () => {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 3)
  const sentEmails: OutgoingEmail[] = []
  const sentSms: OutgoingSms[] = []
  setProviders({
    email: { name: 'brevo', send: async (m) => (sentEmails.push(m), { providerMessageId: `brevo-${m.sendId}` }),
             find: async (m) => sentEmails.some((x) => x.sendId === m.sendId) ? { providerMessageId: `brevo-${m.sendId}` } : null },
    sms: { name: 'twilio', send: async (m) => (sentSms.push(m), { providerMessageId: `SM-${m.sendId}` }), find: async () => null },
  })
  const slug = `sw-${crypto.randomUUID().slice(0, 8)}`
  // The tick's lock for the whole test: pg_cron's minutely tick would otherwise answer our tick
  // "another tick is running", or wake the real send-worker onto this test's queue.
  try { await withTickLock(sql, async (tickConn) => {
    await sql`select pgmq.purge_queue('email')`
    const [t] = await sql`insert into public.tenants (slug, legal_name) values (${slug}, 'Agence Test SARL') returning id`
    await sql`insert into public.tenant_sending_settings (tenant_id, legal_footer, sender_email) values (${t.id}, 'Agence Test SARL, 1 rue X, Paris', 'agence@test.fr')`
    const contacts = await sql`insert into public.contacts (tenant_id, kind, company_name, first_name, email)
      select ${t.id}, 'company', 'Société ' || i, 'Nom' || i, 'c' || i || '@' || ${slug} || '.fr' from generate_series(1, 5) i returning id`
    const [s] = await sql`insert into public.sequences (tenant_id, name, status, audience) values (${t.id}, 'S', 'active', 'segment') returning id`
    await sql`insert into public.sequence_steps (tenant_id, sequence_id, position, channel, variants)
      values (${t.id}, ${s.id}, 1, 'email', '[{"key":"A","subject":"Bonjour {{firstName}}","body":"Texte"}]')`
    const at = '2027-03-30 10:00 Europe/Paris'
    await sql`insert into public.sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
      select ${t.id}, ${s.id}, id, ${at}::text::timestamptz from unnest(${sql.array(contacts.map((c) => c.id))}::uuid[]) id`
    // The tick at a fixed instant; the worker checks the gate at "now", so place the sends' cap window in the past.
    const [tick] = await tickConn`select private.enqueue_due_steps(100, ${at}::text::timestamptz) as r`
    assert.equal(tick.r.enqueued, 5)
    await sql`update public.message_sends set queued_at = now() - interval '3 days' where tenant_id = ${t.id}`
    // Simulate a worker that died after the provider call for the first send: provider has it, ledger says sending.
    const [first] = await sql`select id, idempotency_key, to_address from public.message_sends where tenant_id = ${t.id} order by id limit 1`
    await sql`update public.message_sends set status = 'sending', attempts = 1, sending_at = now() where id = ${first.id}`
    sentEmails.push({ reference: first.idempotency_key, sendId: first.id, to: first.to_address } as OutgoingEmail)
    // Replay: the same queue message twice.
    const [dup] = await sql`select message from pgmq.q_email where message ->> 'sendId' = ${first.id}::text`
    await sql`select pgmq.send('email', ${sql.json(dup.message)})`

    // The tenant's plan has no time limit on the gate but the window: run the drain whatever the clock says.
    await sql`update public.tenant_sending_settings set email_days = '{1,2,3,4,5,6,7}', email_start = '00:00', email_end = '23:59' where tenant_id = ${t.id}`
    const r = await drainAll({ queues: ['email'], batch: 10, budgetMs: 5000, sql, concurrency: 1 })
    assert.equal(r.read, 6)
    const perSend = new Map<string, number>()
    for (const m of sentEmails) perSend.set(m.sendId, (perSend.get(m.sendId) ?? 0) + 1)
    assert.equal(perSend.size, 5, 'every send reached the provider')
    assert.deepEqual([...perSend.values()], [1, 1, 1, 1, 1], 'none twice')
    const rows = await sql`select status, provider_message_id from public.message_sends where tenant_id = ${t.id}`
    assert.ok(rows.every((x) => x.status === 'sent' && x.provider_message_id), 'every ledger row is sent with its provider id')
    const real = sentEmails.filter((m) => m.headers)
    assert.ok(real.every((m) => m.headers['List-Unsubscribe-Post'] === 'List-Unsubscribe=One-Click' && m.subject.startsWith('Bonjour Nom')))
  }) } finally {
    setProviders(undefined)
    await sql`delete from public.tenants where slug = ${slug}`
    await sql.end()
  }
} })
