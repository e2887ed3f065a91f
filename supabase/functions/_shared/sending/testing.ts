/**
 * Fixtures for the sending engine's Deno tests (they run under `npm test`
 * against the stack: database, provider sandbox, mail catcher, functions).
 * `sendingFixture()` makes a throwaway tenant with contacts, an active
 * one-step sequence and enrolments, runs the tick at a fixed instant and
 * drains the worker through the real SDKs into the sandbox.
 */
import { createPool, type Sql } from '../db.ts'

export const env = Deno.env.toObject()
export const noStack = !env.SANDBOX_URL || !env.SUPABASE_DB_URL
export const opts = { sanitizeResources: false, sanitizeOps: false }

/** A Tuesday, 10:00 in Paris: every window is open. */
export const OPEN_AT = '2027-03-30 10:00 Europe/Paris'

export interface Fixture {
  sql: Sql
  tenantId: string
  slug: string
  contacts: { id: string; email: string; phone: string }[]
  sequenceId: string
  cleanup(): Promise<void>
}

export async function sendingFixture(o: { contacts?: number; channel?: 'email' | 'sms' | 'whatsapp'; body?: string; subject?: string } = {}): Promise<Fixture> {
  const sql = createPool(env.SUPABASE_DB_URL, 3)
  const slug = `st-${crypto.randomUUID().slice(0, 8)}`
  const n = o.contacts ?? 1
  const channel = o.channel ?? 'email'
  const [t] = await sql`insert into public.tenants (slug, legal_name, plan) values (${slug}, 'Agence Test SARL', 'pro') returning id`
  await sql`insert into public.tenant_sending_settings (tenant_id, legal_footer, sender_email, sender_name, sms_sender_id,
              email_days, email_start, email_end)
            values (${t.id}, 'Agence Test SARL, 1 rue X, 75008 Paris', ${`agence@${slug}.test`}, 'Agence Test', 'AGTEST',
              '{1,2,3,4,5,6,7}', '00:00', '23:59')`
  const base = 33700000000 + Math.floor(Math.random() * 90000000)
  const contacts = await sql`insert into public.contacts (tenant_id, kind, company_name, first_name, job_title, email, phone)
    select ${t.id}, 'person', 'Société ' || i, 'Nom' || i, 'Gérant', 'c' || i || '@' || ${slug} || '.test', '+' || (${base}::bigint + i)::text
      from generate_series(1, ${n}) i returning id, email, phone`
  const [s] = await sql`insert into public.sequences (tenant_id, name, status, audience) values (${t.id}, 'S', 'active', 'segment') returning id`
  await sql`insert into public.sequence_steps (tenant_id, sequence_id, position, channel, variants)
    values (${t.id}, ${s.id}, 1, ${channel}, ${sql.json([{ key: 'A', subject: o.subject ?? 'Bonjour {{firstName}}', body: o.body ?? 'Votre bien à Paris : https://agence.example.fr/estimation' }])})`
  if (channel === 'whatsapp') {
    await sql`update public.contacts set whatsapp_consent = 'opt_in' where tenant_id = ${t.id}`
    await sql`insert into public.consent_evidence (tenant_id, contact_id, channel, status, text_shown, source, captured_at)
              select tenant_id, id, 'whatsapp', 'opt_in', 'J''accepte WhatsApp', 'test', now() - interval '1 year' from public.contacts where tenant_id = ${t.id}`
  }
  await sql`insert into public.sequence_enrolments (tenant_id, sequence_id, contact_id, next_due_at)
    select ${t.id}, ${s.id}, id, ${OPEN_AT}::text::timestamptz from public.contacts where tenant_id = ${t.id}`
  return {
    sql, tenantId: t.id, slug, sequenceId: s.id,
    contacts: contacts.map((c) => ({ id: c.id, email: c.email, phone: c.phone })),
    async cleanup() {
      await sql`delete from public.tenants where id = ${t.id}`
      await sql.end()
    },
  }
}

/**
 * Runs `fn` with the sending clock at `at` (the worker's gate reads it), holding
 * the tick's lock so pg_cron's own tick cannot run at the shifted time meanwhile;
 * the clock goes back to real time afterwards.
 */
export async function atClock<T>(f: Fixture, fn: (tick: () => Promise<{ enqueued: number }>) => Promise<T>, at = OPEN_AT): Promise<T> {
  return withTickLock(f.sql, async (conn) => {
    await conn`select private.set_sending_clock(${at}::text::timestamptz)`
    try {
      return await fn(async () => {
        const [r] = await conn`select private.enqueue_due_steps(10000, private.sending_now()) as r`
        return r.r
      })
    } finally {
      await conn`select private.set_sending_clock(null)`
    }
  })
}

/**
 * Runs `fn` holding the tick's single-flight lock on a reserved connection (run the
 * test's own ticks on `conn`: the lock is re-entrant there). pg_cron's minutely tick
 * then neither answers "another tick is running" to the test nor wakes the real
 * send-worker, which would drain the test's queues.
 */
export async function withTickLock<T>(sql: Sql, fn: (conn: Sql) => Promise<T>): Promise<T> {
  const conn = await sql.reserve()
  try {
    await conn`select pg_advisory_lock(hashtext('private.enqueue_due_steps'))`
    try {
      return await fn(conn as unknown as Sql)
    } finally {
      await conn`select pg_advisory_unlock(hashtext('private.enqueue_due_steps'))`
    }
  } finally {
    conn.release()
  }
}

/** Tick then drain at OPEN_AT (every window open): the fixture's sends go through the real SDKs into the sandbox. */
export async function tickAndSend(f: Fixture, queues: string[] = ['email', 'sms']) {
  const { drainAll } = await import('../../send-worker/handler.ts')
  return atClock(f, async (tick) => {
    const t = await tick()
    const d = await drainAll({ queues, batch: 20, budgetMs: 20_000, sql: f.sql, concurrency: 1 })
    return { ...t, ...d }
  })
}

export async function sandbox(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${env.SANDBOX_URL}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const j = await r.json()
  if (!r.ok) throw new Error(`sandbox ${path}: ${r.status} ${JSON.stringify(j)}`)
  return j
}

/** The newest e-mail the mail catcher holds for `to` (waits for it). */
export async function mailFor(to: string): Promise<{ html: string; text: string; headers: Record<string, string>; subject: string }> {
  const [m] = await fetch(`${env.MAIL_URL}/api/messages?to=${encodeURIComponent(to)}&wait=10000`).then((r) => r.json())
  if (!m) throw new Error(`no mail for ${to}`)
  return m
}
