/**
 * Crash test of the sending engine: the real worker (supabase/functions/send-worker/cli.ts,
 * a Deno process of its own, the same code as the edge function) is killed for real —
 * by its own crash points (exit 137 before the provider call, after the call but before
 * the ledger update, after the ledger update but before the queue delete, inside the
 * archive transaction of a permanent failure) and by SIGKILL at random while many sends
 * are in flight — then restarted. Afterwards the provider sandbox's own log (Twilio's
 * message list, Brevo's transactional log) must hold every due (enrolment, step) exactly
 * once: none lost, none doubled. Also: the provider down then back (the queue waits and
 * drains, nothing lost), a template with a missing variable (held with a reason).
 *
 * Recipients' timezone is chosen so that real time is inside the legal SMS window
 * (contacts.custom_fields.timezone is a product feature), so the test needs no clock.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminSql, env } from '../helpers/stack'

const ROOT = join(import.meta.dirname, '../..')
const DENO = join(ROOT, 'node_modules/.bin/deno')
const sql = adminSql()
const RANDOM_SENDS = Number(process.env.SENDING_CRASH_SENDS ?? 2000)

let sink: Server
/**
 * The tick's single-flight lock, held for the whole file: pg_cron's own tick then
 * stops early and wakes no send-worker edge function, so only the processes this
 * test starts (and kills) drain the queues — the crash points are reached where
 * expected. The file's own ticks run on this connection (the lock is re-entrant).
 */
let tickLock: postgres.ReservedSql
let sinkUrl = ''
let tz = 'Europe/Paris'

/** Where the worker points status callbacks and links: a sink that answers 200 (the webhooks have their own tests). */
async function startSink() {
  sink = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('<Response/>'))
  })
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()))
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`
}

interface Worker {
  child: ChildProcess
  exit: Promise<number | null>
  out: () => string
}

function worker(extra: Record<string, string> = {}, queues = 'email,sms'): Worker {
  const child = spawn(DENO, ['run', '-A', '--config', 'supabase/functions/deno.json', 'supabase/functions/send-worker/cli.ts', queues], {
    cwd: ROOT,
    env: {
      ...process.env, NO_COLOR: '1', SENDING_PUBLIC_URL: sinkUrl, SEND_WORKER_VT: '10', SEND_WORKER_LEASE: '8', SEND_WORKER_RETRY_BASE: '1',
      SEND_WORKER_IDLE_MS: '2500', SEND_WORKER_CONCURRENCY: '4', DB_POOL_MAX: '6', LOG_LEVEL: 'error', ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (b) => (out += b))
  child.stderr!.on('data', (b) => (out += b))
  const exit = new Promise<number | null>((res) => child.on('exit', (code, signal) => res(signal ? 128 + 9 : code)))
  return { child, exit, out: () => out }
}

/** Runs workers until nothing is left to send: the queue empty and no ledger row of the tenant open. */
async function drainToTheEnd(tenantId: string, extra: Record<string, string> = {}, queues = 'email,sms') {
  for (let round = 0; round < 30; round++) {
    const w = worker(extra, queues)
    const code = await w.exit
    if (code !== 0 && code !== 137) throw new Error(`worker exited ${code}: ${w.out().slice(-2000)}`)
    const [open] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${tenantId} and status in ('queued', 'sending')`
    if (open.n === 0) return round + 1
    // Sends waiting for a lease or a retry delay: let the visibility timeout pass.
    await new Promise((r) => setTimeout(r, 2500))
  }
  throw new Error('the queue did not drain')
}

async function tenant(n: number, o: { channel: 'email' | 'sms'; invalid?: number; noName?: number; tag: string }) {
  const slug = `crash-${o.tag.replaceAll('_', '-')}-${Math.random().toString(36).slice(2, 8)}`
  const [t] = await sql`insert into public.tenants (slug, legal_name, plan) values (${slug}, 'Agence Crash SARL', 'enterprise') returning id`
  await sql`insert into public.tenant_sending_settings (tenant_id, legal_footer, sender_email, sms_sender_id, email_days, email_start, email_end)
            values (${t.id}, 'Agence Crash SARL, Paris', ${`agence@${slug}.test`}, 'CRASH', '{1,2,3,4,5,6,7}', '00:00', '23:59')`
  const base = 33_700_000_000 + Math.floor(Math.random() * 80_000_000)
  await sql`insert into public.contacts (tenant_id, kind, company_name, job_title, first_name, email, phone, custom_fields)
    select ${t.id}, 'person', 'Société ' || i, 'Gérant', case when i <= ${o.noName ?? 0} then null else 'Nom' || i end,
           'c' || i || '@' || ${slug} || '.test',
           case when i = ${o.invalid ?? -1} then '+33600000001' else '+' || (${base}::bigint + i)::text end,
           jsonb_build_object('timezone', ${tz}::text)
      from generate_series(1, ${n}) i`
  const [s] = await sql`insert into public.sequences (tenant_id, name, status, audience) values (${t.id}, 'Crash', 'active', 'segment') returning id`
  await sql`insert into public.sequence_steps (tenant_id, sequence_id, position, channel, variants)
            values (${t.id}, ${s.id}, 1, ${o.channel}, ${sql.json([{ key: 'A', subject: 'Bonjour {{firstName}}', body: 'Bonjour {{firstName}}, votre estimation ?' }])})`
  await sql`insert into public.sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
            select ${t.id}, ${s.id}, id, now() - interval '1 minute' from public.contacts where tenant_id = ${t.id}`
  // The tick, as pg_cron runs it (it may already have picked some up: the ledger key makes that harmless).
  for (let i = 0; i < 20; i++) {
    const [r] = await tickLock`select private.enqueue_due_steps(5000, now()) as r`
    if (r.r.skipped) await new Promise((res) => setTimeout(res, 200))
    const [left] = await sql`select count(*)::int as n from public.sequence_enrolments where tenant_id = ${t.id} and status = 'active' and current_position = 1`
    if (left.n === 0) break
  }
  return { id: t.id as string, slug }
}

/** How many times the sandbox got each (enrolment, step) — one ledger row per pair — by its own log. */
async function providerCounts(tenantId: string): Promise<{ expected: number; counts: number[]; missing: string[]; doubled: string[] }> {
  const rows = await sql`select ms.id, ms.channel::text, ms.to_address, ms.status::text from public.message_sends ms where ms.tenant_id = ${tenantId} and ms.status in ('sent', 'delivered')`
  const counts: number[] = []
  const missing: string[] = []
  const doubled: string[] = []
  const auth = 'Basic ' + Buffer.from(`${env('TWILIO_ACCOUNT_SID')}:${env('TWILIO_AUTH_TOKEN')}`).toString('base64')
  for (let i = 0; i < rows.length; i += 25) {
    await Promise.all(rows.slice(i, i + 25).map(async (r) => {
      let n: number
      if (r.channel === 'email') {
        const j = await fetch(`${env('BREVO_BASE_URL')}/smtp/emails?email=${encodeURIComponent(r.to_address)}`, { headers: { 'api-key': env('BREVO_API_KEY') } }).then((x) => x.json())
        n = (j.transactionalEmails ?? []).filter((m: { tags: string[] }) => m.tags.includes(`send:${r.id}`)).length
      } else {
        const j = await fetch(`${env('TWILIO_API_BASE_URL')}/2010-04-01/Accounts/${env('TWILIO_ACCOUNT_SID')}/Messages.json?To=${encodeURIComponent(r.to_address)}&PageSize=100`,
          { headers: { authorization: auth } }).then((x) => x.json())
        n = j.messages.filter((m: { direction: string }) => m.direction === 'outbound-api').length
      }
      counts.push(n)
      if (n === 0) missing.push(r.id)
      if (n > 1) doubled.push(r.id)
    }))
  }
  return { expected: rows.length, counts, missing, doubled }
}

beforeAll(async () => {
  await startSink()
  tickLock = await sql.reserve()
  await tickLock`select pg_advisory_lock(hashtext('private.enqueue_due_steps'))`
  // A recipient timezone where it is now a legal SMS hour (Mon–Sat 08:00–20:00, no French holiday) for the next hour.
  const [z] = await sql`
    select n.name from pg_timezone_names n
     where n.name ~ '^(Europe|America|Asia|Africa|Pacific|Australia|Atlantic|Indian)/'
       and private.time_block_reason('sms', null, (now() at time zone n.name), private.sending_settings(null)) is null
       and private.time_block_reason('sms', null, ((now() + interval '1 hour') at time zone n.name), private.sending_settings(null)) is null
     order by abs(extract(epoch from n.utc_offset) - 3600), n.name limit 1`
  tz = z.name
}, 60_000)

afterAll(async () => {
  await tickLock`select pg_advisory_unlock(hashtext('private.enqueue_due_steps'))`
  tickLock.release()
  await sql`delete from public.tenants where slug like 'crash-%'`
  await sql.end()
  await new Promise<void>((r) => sink.close(() => r()))
})

describe('sending: crash test (real process kills)', () => {
  for (const point of ['before_provider', 'after_provider', 'before_delete'] as const) {
    it(`killed ${point.replace('_', ' ')}, restarted: every due send reaches the provider exactly once (e-mail and SMS)`, async () => {
      const email = await tenant(20, { channel: 'email', tag: point })
      const sms = await tenant(20, { channel: 'sms', tag: point })
      const crashes: number[] = []
      // Two crashing runs (the 3rd and then the 5th time the point is reached), then clean runs to the end.
      for (const after of ['3', '5']) {
        const w = worker({ SEND_WORKER_CRASH_AT: point, SEND_WORKER_CRASH_AFTER: after, SEND_WORKER_CONCURRENCY: '2' })
        crashes.push((await w.exit) ?? -1)
        await new Promise((r) => setTimeout(r, 10_100))
      }
      expect(crashes).toEqual([137, 137])
      await drainToTheEnd(email.id)
      await drainToTheEnd(sms.id)
      for (const t of [email, sms]) {
        const c = await providerCounts(t.id)
        expect(c.expected).toBe(20)
        expect({ missing: c.missing, doubled: c.doubled }).toEqual({ missing: [], doubled: [] })
        const [st] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${t.id} and status in ('sent', 'delivered') and provider_message_id is not null`
        expect(st.n).toBe(20)
      }
    }, 180_000)
  }

  it('killed inside the archive of a permanent failure: the failure is recorded once, nothing is sent for it, the rest once', async () => {
    const t = await tenant(12, { channel: 'sms', invalid: 4, tag: 'archive' })
    const w = worker({ SEND_WORKER_CRASH_AT: 'during_archive', SEND_WORKER_CONCURRENCY: '1' })
    expect(await w.exit).toBe(137)
    await new Promise((r) => setTimeout(r, 10_100))
    await drainToTheEnd(t.id)
    const [bad] = await sql`select ms.id, ms.status::text, ms.error from public.message_sends ms join public.contacts c on c.id = ms.contact_id
                             where ms.tenant_id = ${t.id} and c.phone = '+33600000001'`
    expect(bad.status).toBe('failed')
    expect(bad.error).toMatch(/not a valid phone number/)
    const [arch] = await sql`select count(*)::int as n from pgmq.a_sms where message ->> 'sendId' = ${bad.id}::text`
    expect(arch.n).toBe(1)
    const [dl] = await sql`select category from public.sending_dead_letters where send_id = ${bad.id}`
    expect(dl.category).toBe('provider_rejected')
    const c = await providerCounts(t.id)
    expect(c.expected).toBe(11)
    expect({ missing: c.missing, doubled: c.doubled }).toEqual({ missing: [], doubled: [] })
  }, 120_000)

  it(`killed at random (SIGKILL) while ${RANDOM_SENDS} SMS are in flight: none lost, none doubled`, async () => {
    const t = await tenant(RANDOM_SENDS, { channel: 'sms', noName: 3, tag: 'random' })
    const held = await sql`select held_reason from public.sequence_enrolments where tenant_id = ${t.id} and status = 'held'`
    expect(held.map((h) => h.held_reason)).toEqual(Array(3).fill('missing_variable:firstName'))
    let kills = 0
    for (let round = 0; round < 200; round++) {
      const [open] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${t.id} and status in ('queued', 'sending')`
      if (open.n === 0) break
      const w = worker({ SEND_WORKER_IDLE_MS: '1500' }, 'sms')
      // Killed at a random moment once it is at work: when it has handed a new send to the
      // provider (a Deno process may take seconds to start on a loaded machine), 0.2–2 s later.
      const [before] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${t.id} and status in ('sent', 'delivered')`
      let timer: NodeJS.Timeout | undefined
      let exited = false
      void w.exit.then(() => (exited = true))
      const watch = (async () => {
        while (!exited) {
          const [now] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${t.id} and status in ('sent', 'delivered')`
          if (now.n > before.n) {
            timer = setTimeout(() => w.child.kill('SIGKILL'), 200 + Math.floor(Math.random() * 1800))
            return
          }
          await new Promise((r) => setTimeout(r, 100))
        }
      })()
      const code = await w.exit
      await watch
      clearTimeout(timer)
      if (code === 137) kills++
      else if (code !== 0) throw new Error(`worker exited ${code}: ${w.out().slice(-2000)}`)
      if (code === 0) await new Promise((r) => setTimeout(r, 10_100)) // leases and visibility timeouts run out
    }
    expect(kills).toBeGreaterThan(2)
    const c = await providerCounts(t.id)
    expect(c.expected).toBe(RANDOM_SENDS - 3)
    expect({ missing: c.missing.length, doubled: c.doubled.length }).toEqual({ missing: 0, doubled: 0 })
    const [none] = await sql`select count(*)::int as n from public.message_sends ms join public.contacts c on c.id = ms.contact_id where ms.tenant_id = ${t.id} and c.first_name is null`
    expect(none.n).toBe(0)
  }, 1_800_000)

  it('the provider down, then back: sends wait in the queue and all leave once', async () => {
    const t = await tenant(30, { channel: 'sms', tag: 'outage' })
    // A proxy in front of the sandbox's Twilio: 503 while "down", forwarding when "up".
    let up = false
    let refused = 0
    const target = new URL(env('TWILIO_API_BASE_URL'))
    const proxy = createServer((req, res) => {
      if (!up) {
        refused++
        req.resume()
        res.writeHead(503, { 'content-type': 'application/json' })
        return void res.end(JSON.stringify({ code: 20503, message: 'Service unavailable', status: 503 }))
      }
      const fwd = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: target.pathname + req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      req.pipe(fwd)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    try {
      const down = worker({ TWILIO_API_BASE_URL: proxyUrl, SEND_WORKER_IDLE_MS: '1000' }, 'sms')
      expect(await down.exit).toBe(0)
      expect(refused).toBeGreaterThanOrEqual(30)
      const [waiting] = await sql`select count(*)::int as n from public.message_sends where tenant_id = ${t.id} and status = 'sending' and error like 'retry:%'`
      expect(waiting.n).toBe(30)
      const [q] = await sql`select count(distinct s.id)::int as n from pgmq.q_sms m join public.message_sends s on s.id = (m.message ->> 'sendId')::uuid where s.tenant_id = ${t.id}`
      expect(q.n).toBe(30)
      up = true
      await drainToTheEnd(t.id, { TWILIO_API_BASE_URL: proxyUrl }, 'sms')
      const c = await providerCounts(t.id)
      expect(c.expected).toBe(30)
      expect({ missing: c.missing, doubled: c.doubled }).toEqual({ missing: [], doubled: [] })
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()))
    }
  }, 180_000)
})
