/**
 * pgmq's SQL API on the stack (the local stand-in, or the extension where it
 * is installed): queue tables, visibility timeouts, read counts, delays,
 * archive, pop, set_vt, purge, metrics, privileges and concurrent readers.
 */
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { adminSql, env } from '../helpers/stack.ts'

const sql = adminSql()
const created: string[] = []
afterAll(async () => {
  for (const q of created) await sql`select pgmq.drop_queue(${q})`.catch(() => {})
  await sql.end()
})

async function queue(label: string): Promise<string> {
  const name = `t_${label}_${randomBytes(4).toString('hex')}`
  await sql`select pgmq.create(${name})`
  created.push(name)
  return name
}

interface Msg {
  msg_id: string
  read_ct: number
  enqueued_at: Date
  vt: Date
  message: Record<string, unknown>
}

const read = (q: string, vt: number, qty: number, db: postgres.Sql = sql) =>
  db<Msg[]>`select * from pgmq.read(${q}, ${vt}, ${qty})`
const send = async (q: string, msg: object, delay = 0) =>
  (await sql`select * from pgmq.send(${q}, ${sql.json(msg as postgres.JSONValue)}, ${delay}) as id`)[0].id as string

/** Polls `fn` until it returns a truthy value (no timing assertion: only a safety deadline). */
async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('pgmq queues', () => {
  it('create makes q_<name> and a_<name> with the documented columns and a meta row', async () => {
    const q = await queue('shape')
    const cols = await sql`
      select table_name, array_agg(column_name::text order by ordinal_position) as cols
      from information_schema.columns where table_schema = 'pgmq' and table_name in (${'q_' + q}, ${'a_' + q})
      group by table_name order by table_name`
    expect(cols).toEqual([
      { table_name: `a_${q}`, cols: ['msg_id', 'read_ct', 'enqueued_at', 'archived_at', 'vt', 'message'] },
      { table_name: `q_${q}`, cols: ['msg_id', 'read_ct', 'enqueued_at', 'vt', 'message'] },
    ])
    const [meta] = await sql`select is_partitioned, is_unlogged from pgmq.meta where queue_name = ${q}`
    expect(meta).toEqual({ is_partitioned: false, is_unlogged: false })
    const listed = await sql`select queue_name from pgmq.list_queues() where queue_name = ${q}`
    expect(listed).toHaveLength(1)
  })

  it('create is idempotent', async () => {
    const q = await queue('idem')
    await sql`select pgmq.create(${q})`
    const [m] = await sql`select count(*)::int as n from pgmq.meta where queue_name = ${q}`
    expect(m.n).toBe(1)
  })

  it('create_unlogged makes an unlogged queue table', async () => {
    const q = `t_unlogged_${randomBytes(4).toString('hex')}`
    await sql`select pgmq.create_unlogged(${q})`
    created.push(q)
    const [c] = await sql`select relpersistence from pg_class where oid = ${'pgmq.q_' + q}::regclass`
    expect(c.relpersistence).toBe('u')
    const [meta] = await sql`select is_unlogged from pgmq.meta where queue_name = ${q}`
    expect(meta.is_unlogged).toBe(true)
  })

  it('refuses queue names that could inject SQL or overflow identifiers', async () => {
    await expect(sql`select pgmq.create(${'bad; drop table x'})`).rejects.toThrow()
    await expect(sql`select pgmq.create(${"it's"})`).rejects.toThrow()
    await expect(sql`select pgmq.create(${'a'.repeat(48)})`).rejects.toThrow(/too long/)
    await expect(sql`select pgmq.send(${'x$y'}, '{}'::jsonb)`).rejects.toThrow()
  })

  it('drop_queue removes both tables and the meta row', async () => {
    const q = `t_drop_${randomBytes(4).toString('hex')}`
    await sql`select pgmq.create(${q})`
    const [d] = await sql`select pgmq.drop_queue(${q}) as ok`
    expect(d.ok).toBe(true)
    const [r] = await sql`select to_regclass(${'pgmq.q_' + q}) as q, to_regclass(${'pgmq.a_' + q}) as a,
      (select count(*)::int from pgmq.meta where queue_name = ${q}) as meta`
    expect(r).toEqual({ q: null, a: null, meta: 0 })
  })
})

describe('pgmq messages', () => {
  it('send returns increasing ids and read returns message records, oldest first, read_ct 1', async () => {
    const q = await queue('fifo')
    const a = await send(q, { type: 'a' })
    const b = await send(q, { type: 'b' })
    expect(BigInt(b)).toBeGreaterThan(BigInt(a))
    const msgs = await read(q, 30, 10)
    expect(msgs.map((m) => m.message)).toEqual([{ type: 'a' }, { type: 'b' }])
    expect(msgs.map((m) => m.read_ct)).toEqual([1, 1])
    expect(Object.keys(msgs[0])).toEqual(['msg_id', 'read_ct', 'enqueued_at', 'vt', 'message'])
    expect(msgs[0].vt.getTime()).toBeGreaterThan(msgs[0].enqueued_at.getTime())
  })

  it('read honours qty', async () => {
    const q = await queue('qty')
    for (let i = 0; i < 5; i++) await send(q, { i })
    expect(await read(q, 30, 2)).toHaveLength(2)
    expect(await read(q, 30, 10)).toHaveLength(3)
    expect(await read(q, 30, 10)).toHaveLength(0)
  })

  it('the visibility timeout hides a read message until it passes, then read_ct increments', async () => {
    const q = await queue('vt')
    const id = await send(q, { job: 1 })
    const [first] = await read(q, 1, 1)
    expect(first.msg_id).toBe(id)
    expect(await read(q, 1, 1)).toEqual([])
    const again = await eventually(async () => (await read(q, 30, 1))[0], 'the message to reappear')
    expect(again.msg_id).toBe(id)
    expect(again.read_ct).toBe(2)
  })

  it('a delayed send is not visible before its delay', async () => {
    const q = await queue('delay')
    const id = await send(q, { later: true }, 3600)
    expect(await read(q, 30, 10)).toEqual([])
    const [row] = await sql`select vt > now() + interval '59 minutes' as hidden from ${sql('pgmq')}.${sql('q_' + q)} where msg_id = ${id}`
    expect(row.hidden).toBe(true)
    // Bringing the visibility forward makes it readable, with read_ct still 0 before the read.
    const [moved] = await sql`select * from pgmq.set_vt(${q}, ${id}, 0)`
    expect(moved.read_ct).toBe(0)
    expect((await read(q, 30, 10)).map((m) => m.msg_id)).toEqual([id])
  })

  it('send_batch enqueues every message in order, with the delay', async () => {
    const q = await queue('batch')
    const msgs = [{ n: 1 }, { n: 2 }, { n: 3 }]
    const ids = await sql`select * from pgmq.send_batch(${q}, ${sql.array(msgs.map((m) => JSON.stringify(m)))}::jsonb[], 0) as id`
    expect(ids).toHaveLength(3)
    expect((await read(q, 30, 10)).map((m) => m.message)).toEqual(msgs)
    await sql`select * from pgmq.send_batch(${q}, array['{"late":1}'::jsonb], 600)`
    expect(await read(q, 30, 10)).toEqual([])
  })

  it('set_vt hides or releases a message and returns it', async () => {
    const q = await queue('setvt')
    const id = await send(q, { x: 1 })
    const [r] = await sql<Msg[]>`select * from pgmq.set_vt(${q}, ${id}, 600)`
    expect(r.msg_id).toBe(id)
    expect(await read(q, 30, 1)).toEqual([])
    await sql`select pgmq.set_vt(${q}, ${id}, 0)`
    expect(await read(q, 30, 1)).toHaveLength(1)
    expect(await sql`select * from pgmq.set_vt(${q}, ${'999999'}::bigint, 0)`).toHaveLength(0)
  })

  it('pop returns the oldest visible message and removes it without archiving', async () => {
    const q = await queue('pop')
    const a = await send(q, { p: 1 })
    await send(q, { p: 2 })
    const [m] = await sql<Msg[]>`select * from pgmq.pop(${q})`
    expect(m.msg_id).toBe(a)
    const [counts] = await sql`select (select count(*)::int from ${sql('pgmq')}.${sql('q_' + q)}) as q,
                                      (select count(*)::int from ${sql('pgmq')}.${sql('a_' + q)}) as a`
    expect(counts).toEqual({ q: 1, a: 0 })
  })

  it('delete removes one message (true/false) or many (returns the ids deleted)', async () => {
    const q = await queue('del')
    const a = await send(q, { d: 1 })
    const b = await send(q, { d: 2 })
    const c = await send(q, { d: 3 })
    expect((await sql`select pgmq.delete(${q}, ${a}::bigint) as ok`)[0].ok).toBe(true)
    expect((await sql`select pgmq.delete(${q}, ${a}::bigint) as ok`)[0].ok).toBe(false)
    const gone = await sql`select * from pgmq.delete(${q}, ${sql.array([b, c, '424242'])}::bigint[]) as id order by 1`
    expect(gone.map((r) => r.id)).toEqual([b, c])
    expect(await read(q, 30, 10)).toEqual([])
  })

  it('archive moves messages to a_<name> with archived_at and their read count', async () => {
    const q = await queue('arch')
    const a = await send(q, { a: 1 })
    const b = await send(q, { a: 2 })
    const c = await send(q, { a: 3 })
    await read(q, 30, 1)
    expect((await sql`select pgmq.archive(${q}, ${a}::bigint) as ok`)[0].ok).toBe(true)
    expect((await sql`select pgmq.archive(${q}, ${a}::bigint) as ok`)[0].ok).toBe(false)
    const moved = await sql`select * from pgmq.archive(${q}, ${sql.array([b, c])}::bigint[]) as id order by 1`
    expect(moved.map((r) => r.id)).toEqual([b, c])
    const archived = await sql`select msg_id, read_ct, message, archived_at is not null as stamped
      from ${sql('pgmq')}.${sql('a_' + q)} order by msg_id`
    expect(archived).toEqual([
      { msg_id: a, read_ct: 1, message: { a: 1 }, stamped: true },
      { msg_id: b, read_ct: 0, message: { a: 2 }, stamped: true },
      { msg_id: c, read_ct: 0, message: { a: 3 }, stamped: true },
    ])
    const [left] = await sql`select count(*)::int as n from ${sql('pgmq')}.${sql('q_' + q)}`
    expect(left.n).toBe(0)
  })

  it('purge_queue empties the queue, returns the count and keeps the archive', async () => {
    const q = await queue('purge')
    const a = await send(q, { x: 0 })
    await sql`select pgmq.archive(${q}, ${a}::bigint)`
    for (let i = 0; i < 4; i++) await send(q, { i })
    const [p] = await sql`select pgmq.purge_queue(${q}) as n`
    expect(Number(p.n)).toBe(4)
    expect(await read(q, 30, 10)).toEqual([])
    const [arch] = await sql`select count(*)::int as n from ${sql('pgmq')}.${sql('a_' + q)}`
    expect(arch.n).toBe(1)
  })

  it('metrics counts queue length and total messages sent; metrics_all lists every queue', async () => {
    const q = await queue('metrics')
    for (let i = 0; i < 3; i++) await send(q, { i })
    const [first] = await read(q, 30, 1)
    await sql`select pgmq.delete(${q}, ${first.msg_id}::bigint)`
    const [m] = await sql`select * from pgmq.metrics(${q})`
    expect(m.queue_name).toBe(q)
    expect(Number(m.queue_length)).toBe(2)
    expect(Number(m.total_messages)).toBe(3)
    expect(m.oldest_msg_age_sec).toBeGreaterThanOrEqual(m.newest_msg_age_sec)
    expect(m.scrape_time).toBeInstanceOf(Date)
    const all = await sql`select queue_name, queue_length from pgmq.metrics_all() where queue_name = ${q}`
    expect(all.map((r) => Number(r.queue_length))).toEqual([2])
    const empty = await queue('metrics_empty')
    const [e] = await sql`select * from pgmq.metrics(${empty})`
    expect({ len: Number(e.queue_length), total: Number(e.total_messages), newest: e.newest_msg_age_sec }).toEqual({ len: 0, total: 0, newest: null })
  })

  it('read_with_poll waits for a message sent while it polls, and gives up empty-handed', async () => {
    const q = await queue('poll')
    const other = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
    try {
      const polling = other<Msg[]>`select * from pgmq.read_with_poll(${q}, 30, 1, 10, 50)`
      await new Promise((r) => setTimeout(r, 300))
      const id = await send(q, { polled: true })
      const got = await polling
      expect(got.map((m) => m.msg_id)).toEqual([id])
      expect(await other`select * from pgmq.read_with_poll(${q}, 30, 1, 1, 50)`).toEqual([])
    } finally {
      await other.end()
    }
  })
})

describe('pgmq concurrency', () => {
  it('concurrent readers on many connections never receive the same message', { timeout: 60_000 }, async () => {
    const q = await queue('concurrent')
    const total = 300
    await sql`select pgmq.send_batch(${q}, array(select jsonb_build_object('n', g) from generate_series(1, ${total}) g), 0)`
    const readers = 12
    const pools = Array.from({ length: readers }, () => postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} }))
    try {
      const seen = await Promise.all(
        pools.map(async (db) => {
          const mine: string[] = []
          for (;;) {
            const batch = await read(q, 120, 3, db)
            if (!batch.length) return mine
            mine.push(...batch.map((m) => m.msg_id))
          }
        }),
      )
      const all = seen.flat()
      expect(new Set(all).size).toBe(all.length)
      expect(all).toHaveLength(total)
      // Every message was read exactly once.
      const [r] = await sql`select max(read_ct) as max, min(read_ct) as min from ${sql('pgmq')}.${sql('q_' + q)}`
      expect(r).toEqual({ max: 1, min: 1 })
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
  })

  it('a message read inside an open transaction stays locked for the others until commit', async () => {
    const q = await queue('locked')
    await send(q, { only: 1 })
    const other = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
    try {
      await sql.begin(async (tx) => {
        const mine = await tx<Msg[]>`select * from pgmq.read(${q}, 0, 1)`
        expect(mine).toHaveLength(1)
        // vt 0 would make it visible at once, but the row lock still keeps it from the other reader.
        expect(await read(q, 30, 1, other)).toEqual([])
      })
    } finally {
      await other.end()
    }
  })
})

describe('pgmq privileges', () => {
  it('service_role can create, send and read', async () => {
    const q = `t_svc_${randomBytes(4).toString('hex')}`
    created.push(q)
    const got = await sql.begin(async (tx) => {
      await tx`set local role service_role`
      await tx`select pgmq.create(${q})`
      await tx`select pgmq.send(${q}, '{"by":"service_role"}'::jsonb)`
      return tx`select message from pgmq.read(${q}, 30, 1)`
    })
    expect(got.map((r) => r.message)).toEqual([{ by: 'service_role' }])
  })

  for (const role of ['anon', 'authenticated']) {
    it(`${role} can neither call pgmq functions nor read queue tables`, async () => {
      const q = await queue(`deny_${role}`)
      await send(q, { secret: true })
      const as = (query: string) =>
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`)
          return tx.unsafe(query)
        })
      await expect(as(`select pgmq.send('${q}', '{}'::jsonb)`)).rejects.toThrow(/permission denied/)
      await expect(as(`select * from pgmq.read('${q}', 30, 1)`)).rejects.toThrow(/permission denied/)
      await expect(as(`select * from pgmq.q_${q}`)).rejects.toThrow(/permission denied/)
      await expect(as(`select * from pgmq.meta`)).rejects.toThrow(/permission denied/)
    })
  }
})
