/**
 * Dashboard queries at scale: one agency with 100,000 contacts and 1,000,000
 * message events (about 470,000 sends over a year), 2,000 deals with their
 * stage history, among 12 agencies (peers for the benchmark).
 *
 *   npx tsx bench/dashboard.ts [--contacts=100000] [--events=1000000] [--iterations=40]
 *
 * Starts its own test-mode stack, loads contacts with scripts/generate-load-data.ts
 * and the ledger with set-based SQL (triggers off for the bulk load, then one
 * private.analytics_rebuild — its duration is printed too), then calls every
 * widget RPC as the owner does through the API (transaction, `set local role
 * authenticated`, request.jwt.claims: RLS applies), for the home's 30 days and
 * /analytique's 90 days. Prints p50/p95 per widget and the ratio to the
 * budget: 150 ms per widget, 400 ms for the whole dashboard's data.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { startStack } from '../scripts/local-stack/stack.ts'
import { generateLoadData } from '../scripts/generate-load-data.ts'
import { percentile as pct } from './lib/stats.ts'

const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const CONTACTS = arg('contacts', 100_000)
const EVENTS = arg('events', 1_000_000)
const ITER = arg('iterations', 40)
const WIDGET_BUDGET = 150
const DASHBOARD_BUDGET = 400


async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-dash-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  const sql = postgres(stack.cfg.dbUrl, { max: 2, onnotice: () => {} })
  try {
    console.log(`stack up; loading 12 tenants, ${CONTACTS} contacts in the big one…`)
    const load = await generateLoadData(sql, { tenants: 12, contacts: CONTACTS + 11 * 500, big: CONTACTS, medium: 500, prefix: 'dash', log: (m) => console.log(`  ${m}`) })
    const [T] = load.tenantIds
    const [U] = load.ownerIds
    const tenantIds = load.tenantIds

    const t0 = Date.now()
    const sendsPerTenant = Math.round(EVENTS / 2.13)
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`
      await tx`update public.tenants set plan = 'enterprise', team_size = 4 where id = any(${tenantIds}::uuid[])`
      for (const [k, tid] of tenantIds.entries()) {
        const sends = k === 0 ? sendsPerTenant : 3000
        await tx`create temp table bc on commit drop as select row_number() over (order by id) as rn, id from public.contacts where tenant_id = ${tid}`
        await tx`insert into public.sequences (id, tenant_id, name, status, audience, segment_filter)
                 select ('5e' || lpad(${k}::text, 6, '0') || '-0000-4000-8000-00000000000' || q)::uuid, ${tid}, 'Séquence ' || q, 'active', 'segment', '{}' from generate_series(1, 3) q`
        await tx`insert into public.sequence_steps (id, tenant_id, sequence_id, position, channel, variants)
                 select ('5f' || lpad(${k}::text, 6, '0') || '-0000-4000-8000-0000000000' || q || p)::uuid, ${tid},
                        ('5e' || lpad(${k}::text, 6, '0') || '-0000-4000-8000-00000000000' || q)::uuid, p,
                        case when p = 3 then 'sms' else 'email' end::public.send_channel,
                        '[{"key":"A","subject":"Objet A","body":"x"},{"key":"B","subject":"Objet B","body":"y"}]'
                   from generate_series(1, 3) q, generate_series(1, 3) p`
        // Sends over the last 365 days, working hours Paris.
        await tx`insert into public.message_sends (id, tenant_id, sequence_id, step_id, contact_id, channel, idempotency_key, variant, status, queued_at, sent_at, segments)
                 select gen_random_uuid(), ${tid}, ('5e' || lpad(${k}::text, 6, '0') || '-0000-4000-8000-00000000000' || q)::uuid,
                        ('5f' || lpad(${k}::text, 6, '0') || '-0000-4000-8000-0000000000' || q || p)::uuid, bc.id,
                        case when p = 3 then 'sms' else 'email' end::public.send_channel, ${`d${k}:`} || i,
                        case when i % 2 = 0 then 'A' else 'B' end,
                        case when i % 40 = 0 then 'failed' else 'delivered' end::public.send_status, ts, case when i % 40 = 0 then null else ts end,
                        case when p = 3 then 1 end
                   from generate_series(1, ${sends}::int) i
                   cross join lateral (select 1 + i % 3 as q, 1 + (i / 3) % 3 as p,
                                              date_trunc('day', now() - make_interval(days => (i * 7) % 365)) + make_interval(hours => 7 + (i * 13) % 12, mins => i % 60) as ts) x
                   join bc on bc.rn = 1 + (i::bigint * 7919) % (select count(*) from bc)`
        await tx`insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
                 select s.tenant_id, s.id, s.contact_id, e.type::public.message_event_type, 'brevo', s.id || ':' || e.type || ':' || e.n, s.sent_at + e.after
                   from public.message_sends s
                   cross join lateral (select ('x' || substr(md5(s.id::text), 1, 6))::bit(24)::int % 1000 as r) h
                   cross join lateral (values ('delivered', 1, interval '1 minute', h.r >= 30), ('bounced', 1, interval '2 minutes', h.r < 30),
                                              ('opened', 1, interval '2 hours', h.r >= 30 and h.r < 480), ('opened', 2, interval '1 day', h.r >= 30 and h.r < 330),
                                              ('opened', 3, interval '3 days', h.r >= 30 and h.r < 230), ('clicked', 1, interval '3 hours', h.r >= 30 and h.r < 150),
                                              ('replied', 1, interval '5 hours', h.r >= 30 and h.r < 80), ('unsubscribed', 1, interval '6 hours', h.r >= 990)) e(type, n, after, happens)
                  where s.tenant_id = ${tid} and s.status = 'delivered' and e.happens`
        await tx`drop table bc`
      }
      // 2,000 deals with a three-step history, a third won or lost over the year.
      await tx`insert into public.pipelines (id, tenant_id, name, is_default) values ('91be0000-0000-4000-8000-0000000000d1', ${T}, 'Transactions', true)`
      await tx`insert into public.pipeline_stages (id, tenant_id, pipeline_id, name, position, probability, kind)
               select ('57a90000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, ${T}, '91be0000-0000-4000-8000-0000000000d1', name, n, prob, kind::public.stage_kind
                 from (values (1, 'Nouveau', 10, 'open'), (2, 'Estimation', 30, 'open'), (3, 'Mandat', 50, 'open'), (4, 'Offre', 70, 'open'), (5, 'Gagné', 100, 'won'), (6, 'Perdu', 0, 'lost')) v(n, name, prob, kind)`
      await tx`insert into public.deals (id, tenant_id, pipeline_id, stage_id, contact_id, title, value, probability, lost_reason, stage_entered_at, closed_at, created_at, board_rank)
               select gen_random_uuid(), ${T}, '91be0000-0000-4000-8000-0000000000d1', ('57a90000-0000-4000-8000-0000000000' || lpad(st::text, 2, '0'))::uuid,
                      (select id from public.contacts where tenant_id = ${T} order by id offset (i * 37) % ${CONTACTS} limit 1), 'Affaire ' || i,
                      case when i % 25 = 0 then null else 200000 + (i * 7919) % 900000 end, null,
                      case when st = 6 then (array['Prix', 'Concurrence', 'Abandon'])[1 + i % 3] end,
                      now() - make_interval(days => i % 300), case when st >= 5 then now() - make_interval(days => i % 300) end, now() - make_interval(days => 30 + i % 300),
                      i * 1024
                 from generate_series(1, 2000) i cross join lateral (select 1 + i % 6 as st) s`
      await tx`insert into public.deal_stage_history (tenant_id, deal_id, from_stage_id, to_stage_id, changed_at, time_in_previous_stage)
               select d.tenant_id, d.id, case when n > 1 then '57a90000-0000-4000-8000-000000000001'::uuid end, d.stage_id,
                      d.created_at + make_interval(days => n * 7), case when n > 1 then interval '7 days' * n end
                 from public.deals d, generate_series(1, 3) n where d.tenant_id = ${T}`
    })
    const [{ n: nEvents }] = await sql`select count(*)::int as n from public.message_events where tenant_id = ${T}`
    const [{ n: nSends }] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${T}`
    console.log(`ledger: ${nSends} sends, ${nEvents} events in the big agency; load ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const r0 = Date.now()
    for (const tid of tenantIds) await sql`select private.analytics_rebuild(${tid})`
    const rebuildMs = Date.now() - r0
    const [{ n: rollupRows }] = await sql`select count(*)::int as n from public.analytics_send_rollup where tenant_id = ${T}`
    console.log(`analytics_rebuild of the 12 agencies: ${(rebuildMs / 1000).toFixed(1)} s (big agency: ${rollupRows} rollup rows)`)
    await sql`vacuum analyze`

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
    const back = (n: number) => new Date(Date.parse(`${today}T12:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10)
    const claims = JSON.stringify({ sub: U, role: 'authenticated' })
    const cases: { name: string; q: string; args: unknown[]; budget: number }[] = []
    for (const [label, from] of [['30 d', back(29)], ['90 d', back(89)]] as const) {
      const a = [T, from, today]
      cases.push(
        { name: `engagement ${label}`, q: 'select public.analytics_engagement($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `funnel ${label}`, q: 'select public.analytics_funnel($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `pipeline ${label}`, q: 'select public.analytics_pipeline($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `templates ${label}`, q: 'select public.analytics_templates($1, $2, $3, 10)', args: a, budget: WIDGET_BUDGET },
        { name: `heat map ${label}`, q: 'select public.analytics_heatmap($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `segments ${label}`, q: 'select public.analytics_segments($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `ROI ${label}`, q: 'select public.analytics_roi($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
        { name: `benchmark ${label}`, q: 'select public.analytics_benchmark($1, $2, $3)', args: a, budget: WIDGET_BUDGET },
      )
    }
    cases.push(
      { name: 'hot leads', q: 'select public.analytics_hot_leads($1, 8)', args: [T], budget: WIDGET_BUDGET },
      { name: 'today', q: 'select public.analytics_today($1)', args: [T], budget: WIDGET_BUDGET },
      { name: 'WHOLE home dashboard 30 d (analytics_dashboard)', q: 'select public.analytics_dashboard($1, $2, $3)', args: [T, back(29), today], budget: DASHBOARD_BUDGET },
      { name: 'WHOLE /analytique 90 d (report + ROI + benchmark)', q: 'select public.analytics_report($1, $2, $3), public.analytics_roi($1, $2, $3), public.analytics_benchmark($1, $2, $3)', args: [T, back(89), today], budget: DASHBOARD_BUDGET },
    )
    const asMember = (q: string, args: unknown[]) => sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`
      return tx.unsafe(q, args as never[])
    })
    console.log(`\n${'widget'.padEnd(52)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'budget'.padStart(7)} ${'p95/budget'.padStart(11)}`)
    let worst = 0
    for (const c of cases) {
      for (let i = 0; i < 3; i++) await asMember(c.q, c.args) // warm-up
      const xs: number[] = []
      for (let i = 0; i < ITER; i++) {
        const s = performance.now()
        await asMember(c.q, c.args)
        xs.push(performance.now() - s)
      }
      const p95 = pct(xs, 95)
      worst = Math.max(worst, p95 / c.budget)
      console.log(`${c.name.padEnd(52)} ${pct(xs, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${String(c.budget).padStart(7)} ${(p95 / c.budget).toFixed(2).padStart(11)}`)
    }
    console.log(`\nworst p95/budget: ${worst.toFixed(2)} (${worst <= 1 ? 'within' : 'OVER'} budget); ${ITER} iterations per row, round trip included, RLS applied.`)
  } finally {
    await sql.end()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
