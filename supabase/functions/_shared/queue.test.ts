import assert from 'node:assert/strict'
import { z } from 'zod'
import { createPool } from './db.ts'
import { createLogger } from './log.ts'
import { assertQueueName, defineJobs, job } from './queue.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }
const quiet = createLogger('queue-test', {}, { sink: () => {} })

async function withQueue(fn: (sql: ReturnType<typeof createPool>, queue: string) => Promise<void>) {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 2)
  const queue = `shared_q_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`
  await sql`select pgmq.create(${queue})`
  try {
    await fn(sql, queue)
  } finally {
    await sql`select pgmq.drop_queue(${queue})`
    await sql.end()
  }
}

// Plain arrays of plain objects (postgres.js results are Array subclasses).
const rowsOf = (table: string) => async (sql: ReturnType<typeof createPool>, queue: string) =>
  (await sql`select msg_id::text, read_ct, message from ${sql('pgmq')}.${sql(table + queue)} order by msg_id`).map((r) => ({ ...r }))
const archived = rowsOf('a_')
const pending = rowsOf('q_')

Deno.test({ name: 'queue: send validates the payload and stores {type, ...payload}', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    const jobs = defineJobs({ 'email.send': job({ schema: z.object({ to: z.email(), n: z.number().default(1) }), handle: async () => {} }) })
    const id = await jobs.send(queue, 'email.send', { to: 'a@b.fr' }, { sql })
    const [row] = await pending(sql, queue)
    assert.equal(row.msg_id, id)
    assert.deepEqual(row.message, { type: 'email.send', to: 'a@b.fr', n: 1 })
    await assert.rejects(jobs.send(queue, 'email.send', { to: 'not-an-email' }, { sql }), (e: unknown) => e instanceof z.ZodError)
    const ids = await jobs.sendBatch(queue, 'email.send', [{ to: 'c@d.fr' }, { to: 'e@f.fr' }], { sql })
    assert.equal(ids.length, 2)
  }) })

Deno.test({ name: 'queue: drain dispatches by type, hands the typed payload and deletes on success', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    const got: unknown[] = []
    const jobs = defineJobs({
      'contact.enrich': job({ schema: z.object({ contactId: z.uuid() }), handle: async (p, ctx) => void got.push({ p, attempt: ctx.attempt, queue: ctx.queue }) }),
      'report.build': job({ schema: z.object({ month: z.string() }), handle: async (p) => void got.push(p.month) }),
    })
    const cid = crypto.randomUUID()
    await jobs.send(queue, 'contact.enrich', { contactId: cid }, { sql })
    await jobs.send(queue, 'report.build', { month: '2026-10' }, { sql })
    const r = await jobs.drain(queue, { sql, logger: quiet })
    assert.deepEqual(r, { read: 2, succeeded: 2, retried: 0, archived: [] })
    assert.deepEqual(got, [{ p: { contactId: cid }, attempt: 1, queue }, '2026-10'])
    assert.deepEqual(await pending(sql, queue), [])
    assert.deepEqual(await archived(sql, queue), [])
  }) })

Deno.test({ name: 'queue: a failing job is retried (read_ct is the attempt), then archived with the reason', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    const attempts: number[] = []
    const jobs = defineJobs({
      flaky: job({ schema: z.object({}), handle: async (_p, ctx) => {
        attempts.push(ctx.attempt)
        throw new Error('provider down')
      } }),
    })
    const id = await jobs.send(queue, 'flaky', {}, { sql })
    // vt 0: the message is visible again at once, so each drain is the next attempt.
    for (let i = 1; i <= 2; i++) {
      const r = await jobs.drain(queue, { sql, vt: 0, maxAttempts: 3, logger: quiet })
      assert.deepEqual([r.retried, r.archived.length], [1, 0])
      assert.equal((await pending(sql, queue))[0].read_ct, i)
    }
    const last = await jobs.drain(queue, { sql, vt: 0, maxAttempts: 3, logger: quiet })
    assert.deepEqual(last.archived, [{ msgId: id, reason: 'failed after 3 attempts: provider down' }])
    assert.deepEqual(attempts, [1, 2, 3])
    assert.deepEqual(await pending(sql, queue), [])
    const [a] = await archived(sql, queue)
    assert.equal(a.read_ct, 3)
    assert.equal(a.message.type, 'flaky')
    assert.equal(a.message._failure.reason, 'failed after 3 attempts: provider down')
    assert.equal(a.message._failure.attempts, 3)
  }) })

Deno.test({ name: 'queue: unknown types and invalid payloads are archived at once', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    let called = 0
    const jobs = defineJobs({ known: job({ schema: z.object({ n: z.number() }), handle: async () => void called++ }) })
    await sql`select pgmq.send(${queue}, '{"type":"ghost"}'::jsonb)`
    await sql`select pgmq.send(${queue}, '{"type":"known","n":"three"}'::jsonb)`
    await sql`select pgmq.send(${queue}, '{"no":"type"}'::jsonb)`
    await sql`select pgmq.send(${queue}, '{"type":"toString"}'::jsonb)`
    const r = await jobs.drain(queue, { sql, logger: quiet })
    assert.equal(called, 0)
    assert.equal(r.archived.length, 4)
    const reasons = (await archived(sql, queue)).map((a) => a.message._failure.reason)
    assert.equal(reasons[0], 'unknown job type: ghost')
    assert.match(reasons[1], /^invalid payload: n /)
    assert.equal(reasons[2], 'message has no job type')
    assert.equal(reasons[3], 'unknown job type: toString')
  }) })

Deno.test({ name: 'queue: per-job maxAttempts and retryDelay', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    const jobs = defineJobs({
      once: job({ schema: z.object({}), maxAttempts: 1, handle: async () => { throw new Error('no retry for me') } }),
      later: job({ schema: z.object({}), handle: async () => { throw new Error('try later') } }),
    })
    await jobs.send(queue, 'once', {}, { sql })
    await jobs.send(queue, 'later', {}, { sql })
    const r = await jobs.drain(queue, { sql, vt: 0, maxAttempts: 5, retryDelay: () => 3600, logger: quiet })
    assert.deepEqual([r.read, r.retried, r.archived.length], [2, 1, 1])
    // The retried message is hidden for the retry delay, not the (zero) visibility timeout.
    const again = await jobs.drain(queue, { sql, vt: 0, logger: quiet })
    assert.equal(again.read, 0)
    const [row] = await sql`select vt > now() + interval '50 minutes' as hidden from ${sql('pgmq')}.${sql('q_' + queue)}`
    assert.equal(row.hidden, true)
  }) })

Deno.test({ name: 'queue: a batch is bounded and an empty queue drains to nothing', ...opts, fn: () =>
  withQueue(async (sql, queue) => {
    const jobs = defineJobs({ n: job({ schema: z.object({ i: z.number() }), handle: async () => {} }) })
    await jobs.sendBatch(queue, 'n', Array.from({ length: 7 }, (_, i) => ({ i })), { sql })
    assert.equal((await jobs.drain(queue, { sql, batch: 5, logger: quiet })).succeeded, 5)
    assert.equal((await jobs.drain(queue, { sql, batch: 5, logger: quiet })).succeeded, 2)
    assert.deepEqual(await jobs.drain(queue, { sql, batch: 5, logger: quiet }), { read: 0, succeeded: 0, retried: 0, archived: [] })
  }) })

Deno.test('queue: queue names are checked before any SQL', () => {
  assertQueueName('email_outbound')
  assert.throws(() => assertQueueName('Email'), /invalid queue name/)
  assert.throws(() => assertQueueName('a; drop table x'), /invalid queue name/)
})
