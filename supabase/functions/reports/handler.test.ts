/**
 * reports: rendering (HTML with inline SVG, a real PDF, French formats, no
 * NaN on an empty period) and the scheduled run end to end — figures computed
 * in the database as the owner, the e-mail sent through the real Brevo SDK to
 * the provider sandbox and caught by the mail catcher with its PDF, once per
 * period; and the member download of the same report.
 */
import assert from 'node:assert/strict'
import { SignJWT } from 'jose'
import { createPool } from '../_shared/db.ts'
import { env, noSandbox } from '../_shared/providers/testing.ts'
import { renderReportHtml, renderReportPdf, reportPeriod, type ReportData } from '../_shared/reports/render.ts'
import { handler } from './handler.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }
const zeros = { sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0, unsubscribed: 0, bounced: 0, open_rate: null, click_rate: null, reply_rate: null, bounce_rate: null, unsubscribe_rate: null, delivery_rate: null }
const funnel0 = { prospects: 0, contacted: 0, engaged: 0, qualified: 0, appointment: 0, proposal: 0, won: 0 }
const empty: ReportData = {
  from: '2026-03-02', to: '2026-03-08',
  funnel: { current: funnel0, previous: funnel0 },
  engagement: { current: zeros, previous: zeros, daily: [] },
  pipeline: { current: { won_count: 0, won_value: 0, lost_count: 0 }, previous: { won_count: 0, won_value: 0, lost_count: 0 }, loss_reasons: [] },
  templates: [],
}

Deno.test('render: an empty period gives dashes and zeros, never NaN, in HTML and PDF', async () => {
  const html = renderReportHtml({ kind: 'weekly', agency: 'Agence Test', data: empty })
  assert.doesNotMatch(html, /NaN|undefined|Infinity/)
  assert.match(html, /Aucun envoi sur la période/)
  assert.match(html, /<svg[^>]+aria-label="Entonnoir de prospection"/)
  const pdf = await renderReportPdf({ kind: 'monthly', agency: 'Agence Test', data: empty, roi: null })
  assert.equal(new TextDecoder().decode(pdf.slice(0, 5)), '%PDF-')
})

Deno.test('render: French figures, comparison with the previous period, ROI explained', async () => {
  const data: ReportData = {
    ...empty,
    engagement: {
      current: { ...zeros, sent: 1234, opened: 400, replied: 60, open_rate: 0.3241, reply_rate: 0.0486 },
      previous: { ...zeros, sent: 1000, opened: 300, replied: 40, open_rate: 0.3, reply_rate: 0.04 },
      daily: [{ day: '2026-03-02', sent: 600, opened: 200, replied: 30 }, { day: '2026-03-03', sent: 634, opened: 200, replied: 30 }],
    },
    pipeline: { current: { won_count: 2, won_value: 1250000, lost_count: 1 }, previous: { won_count: 1, won_value: 500000, lost_count: 0 }, loss_reasons: [{ reason: 'Prix trop élevé', deals: 1, value: 400000 }] },
  }
  const roi = { costs: { total: 152.4, subscription: 149, ai: 1.2, email: 1, sms: 1.2 }, revenue: { won_deals: 2, attributed_deals: 1, attributed_value: 750000, attributed_fees: 37500, other_currency: 0 }, rule: { model: 'any_touch', window_days: 90, fee_rate: 5 }, roi: 246.06, net: 37347.6, payback_days: 0.1 }
  const html = renderReportHtml({ kind: 'monthly', agency: 'Agence Étoile', data, roi })
  assert.match(html, /1\u202f234/) // French thousands separator
  assert.match(html, /32,4\u00a0%/)
  assert.match(html, /\+2,4 pt/) // open rate vs previous period, in points
  assert.match(html, /1\u202f250\u202f000\u00a0€/)
  assert.match(html, /tout contact<\/strong> sur 90 jours/)
  assert.match(html, /Prix trop élevé/)
  const pdf = await renderReportPdf({ kind: 'monthly', agency: 'Agence Étoile', data, roi })
  assert.ok(pdf.length > 1500)
})

Deno.test('reportPeriod: last Monday to Sunday, last calendar month (Paris)', () => {
  assert.deepEqual(reportPeriod('weekly', new Date('2026-12-07T05:00:00Z')), { from: '2026-11-30', to: '2026-12-06' })
  assert.deepEqual(reportPeriod('weekly', new Date('2026-12-06T23:30:00Z')), { from: '2026-11-30', to: '2026-12-06' }) // Monday 00:30 in Paris
  assert.deepEqual(reportPeriod('monthly', new Date('2027-01-01T06:00:00Z')), { from: '2026-12-01', to: '2026-12-31' })
})

Deno.test({ name: 'reports: the scheduled weekly report reaches owners and admins through Brevo with its PDF, once', ignore: noSandbox || !env.SUPABASE_DB_URL, ...opts, fn: async () => {
  const sql = createPool(env.SUPABASE_DB_URL!, 2)
  const tag = crypto.randomUUID().slice(0, 8)
  const owner = `owner-${tag}@example.test`, admin = `admin-${tag}@example.test`, agent = `agent-${tag}@example.test`
  try {
    const users = await sql`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', e, '', now(), '{}', '{}', now(), now()
        from (values (${owner}), (${admin}), (${agent})) v(e) returning id, email`
    const id = (e: string) => users.find((u) => u.email === e)!.id
    const [t] = await sql`insert into public.tenants (slug, legal_name, display_name) values (${`rep-${tag}`}, 'Agence Rapport SARL', 'Agence Rapport') returning id`
    await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${t.id}, ${id(owner)}, 'owner'), (${t.id}, ${id(admin)}, 'admin'), (${t.id}, ${id(agent)}, 'agent')`
    const [c] = await sql`insert into public.contacts (tenant_id, first_name, email) values (${t.id}, 'Paul', ${`paul-${tag}@example.fr`}) returning id`
    // Three sends in the week of 2 March 2026, one opened and replied.
    const sends = await sql`insert into public.message_sends (tenant_id, contact_id, channel, idempotency_key, status, queued_at, sent_at)
      select ${t.id}, ${c.id}, 'email', ${`rep-${tag}-`} || i, 'delivered', ts, ts
        from generate_series(1, 3) i, lateral (select ('2026-03-0' || (1 + i) || ' 10:00 Europe/Paris')::timestamptz as ts) x returning id`
    await sql`insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
      values (${t.id}, ${sends[0]!.id}, ${c.id}, 'opened', 'brevo', ${`rep-${tag}-o`}, '2026-03-03 11:00 Europe/Paris'),
             (${t.id}, ${sends[0]!.id}, ${c.id}, 'replied', 'brevo', ${`rep-${tag}-r`}, '2026-03-03 12:00 Europe/Paris')`

    const call = (body: unknown, token = env.SUPABASE_SERVICE_ROLE_KEY!) =>
      handler(new Request('http://localhost/reports', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }))
    const res = await call({ kind: 'weekly', now: '2026-03-09T06:00:00Z', tenant_id: t.id })
    assert.equal(res.status, 200)
    const out = await res.json()
    assert.deepEqual([out.from, out.to, out.sent], ['2026-03-02', '2026-03-08', 1])

    const [m] = await fetch(`${env.MAIL_URL}/api/messages?to=${encodeURIComponent(admin)}&wait=10000`).then((r) => r.json())
    assert.ok(m, 'the admin received the report')
    assert.deepEqual([...m.to].sort(), [admin, owner].sort(), 'owners and admins only, the agent is not a recipient')
    assert.match(m.subject, /Rapport hebdomadaire Agence Rapport — du 2 mars 2026 au 8 mars 2026/)
    assert.match(m.html, /<svg/)
    assert.match(m.html, />3</) // three messages sent
    assert.match(m.html, /33,3\u00a0%/) // one reply out of three
    const raw = await fetch(`${env.MAIL_URL}/api/messages/${m.id}/raw`).then((r) => r.text())
    assert.match(raw, /Content-Type: application\/pdf/i)
    assert.match(raw, /rapport-hebdomadaire-2026-03-02\.pdf/)

    // The same cron run again: already delivered for this period, nothing sent.
    const again = await call({ kind: 'weekly', now: '2026-03-09T06:30:00Z', tenant_id: t.id }).then((r) => r.json())
    assert.equal(again.sent, 0)
    const [{ n }] = await sql`select count(*)::int as n from private.report_deliveries where tenant_id = ${t.id}`
    assert.equal(n, 1)

    // A member downloads the PDF (computed as that member); another tenant's report is refused.
    const secret = env.SUPABASE_JWT_SECRET
    if (secret) {
      const token = await new SignJWT({ sub: id(agent), role: 'authenticated', aud: 'authenticated' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret))
      const pdf = await call({ tenant_id: t.id, kind: 'weekly', format: 'pdf', from: '2026-03-02', to: '2026-03-08' }, token)
      assert.equal(pdf.status, 200)
      assert.equal(pdf.headers.get('content-type'), 'application/pdf')
      assert.equal(new TextDecoder().decode(new Uint8Array(await pdf.arrayBuffer()).slice(0, 5)), '%PDF-')
      const [other] = await sql`select id from public.tenants where id <> ${t.id} limit 1`
      const refused = await call({ tenant_id: other.id, kind: 'weekly', format: 'html', from: '2026-03-02', to: '2026-03-08' }, token)
      assert.equal(refused.status, 403)
      await refused.body?.cancel()
    }
  } finally {
    await sql`delete from public.tenants where slug = ${`rep-${tag}`}`
    await sql`delete from auth.users where email in (${owner}, ${admin}, ${agent})`
    await sql.end()
  }
}})
