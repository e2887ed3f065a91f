/**
 * Realtime postgres_changes through the real supabase-js: events from logical
 * replication, typed payloads, filters, replica identity and per-subscriber RLS.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import type postgres from 'postgres'
import { adminSql } from '../helpers/stack'
import { Inbox, mintToken, rtClient, setupFixtures, subscribed, tenantWithUser } from './realtime-fixture'

let sql: postgres.Sql
const clients: SupabaseClient[] = []
const track = <T extends SupabaseClient>(c: T) => (clients.push(c), c)

beforeAll(async () => {
  await setupFixtures()
  sql = adminSql()
})

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels()
  await sql.end()
})

describe('postgres_changes: events and payloads', () => {
  it('delivers a typed INSERT to a member of the tenant, with columns and commit timestamp', async () => {
    const a = await tenantWithUser()
    const c = track(await rtClient({ token: a.token }))
    const inbox = new Inbox()
    await subscribed(
      c.channel(`ins-${randomUUID()}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'items' }, inbox.push),
    )
    await sql`insert into rt_fixtures.items (tenant_id, title, n, done, tags, data, price)
              values (${a.tenantId}, 'hello', 7, true, ${['x', 'y']}, ${sql.json({ k: 1, nested: { a: [1, 2] } })}, 12.5)`
    const ev = await inbox.waitFor((e) => e.new.tenant_id === a.tenantId)
    expect(ev.eventType).toBe('INSERT')
    expect(ev.schema).toBe('rt_fixtures')
    expect(ev.table).toBe('items')
    expect(ev.errors).toBeNull()
    expect(ev.old).toEqual({})
    expect(ev.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(ev.new).toMatchObject({ title: 'hello', n: 7, done: true, tags: ['x', 'y'], data: { k: 1, nested: { a: [1, 2] } }, price: 12.5 })
    expect(typeof ev.new.id).toBe('number')
    expect(Object.keys(ev.new).sort()).toEqual(['created_at', 'data', 'done', 'id', 'n', 'price', 'tags', 'tenant_id', 'title'])
  })

  it('reports UPDATE and DELETE on their own bindings of one channel', async () => {
    const a = await tenantWithUser()
    const c = track(await rtClient({ token: a.token }))
    const updates = new Inbox()
    const deletes = new Inbox()
    const inserts = new Inbox()
    await subscribed(
      c
        .channel(`ud-${randomUUID()}`)
        .on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'items', filter: `tenant_id=eq.${a.tenantId}` }, inserts.push)
        .on('postgres_changes', { event: 'UPDATE', schema: 'rt_fixtures', table: 'items', filter: `tenant_id=eq.${a.tenantId}` }, updates.push)
        .on('postgres_changes', { event: 'DELETE', schema: 'rt_fixtures', table: 'items' }, deletes.push),
    )
    // RLS is checked against the row as it is when the change is read (as Supabase does), so each
    // step waits for its event before the row changes again.
    const [row] = await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'before') returning id`
    await inserts.waitFor((e) => e.new.id === Number(row!.id))
    await sql`update rt_fixtures.items set title = 'after' where id = ${row!.id}`
    const up = await updates.waitFor((e) => e.new.id === Number(row!.id))
    await sql`delete from rt_fixtures.items where id = ${row!.id}`
    const del = await deletes.waitFor((e) => e.old.id === Number(row!.id))
    expect(up.eventType).toBe('UPDATE')
    expect(up.new.title).toBe('after')
    // Default replica identity: the old record holds the primary key only.
    expect(up.old).toEqual({ id: Number(row!.id) })
    expect(del.eventType).toBe('DELETE')
    expect(del.new).toEqual({})
    expect(del.old).toEqual({ id: Number(row!.id) })
    // Each binding fires only for its own event type.
    expect(inserts.items).toHaveLength(1)
    expect(updates.items.every((e) => e.eventType === 'UPDATE')).toBe(true)
    expect(deletes.items.every((e) => e.eventType === 'DELETE')).toBe(true)
  })

  it("'*' receives INSERT, UPDATE and DELETE in commit order", async () => {
    const run = randomUUID()
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(c.channel(`all-${run}`).on('postgres_changes', { event: '*', schema: 'rt_fixtures', table: 'metrics', filter: `run=eq.${run}` }, inbox.push))
    const [r] = await sql`insert into rt_fixtures.metrics (run, label, n) values (${run}, 'a', 1) returning id`
    await sql`update rt_fixtures.metrics set n = 2 where id = ${r!.id}`
    await inbox.waitFor((e) => e.eventType === 'UPDATE')
    expect(inbox.items.map((e) => e.eventType)).toEqual(['INSERT', 'UPDATE'])
    expect(inbox.items[1].new).toMatchObject({ n: 2, label: 'a' })
  })

  it('a channel without table receives every published table of the schema', async () => {
    const run = randomUUID()
    const c = track(await rtClient({ key: 'service' }))
    const inbox = new Inbox()
    await subscribed(c.channel(`schema-${run}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures' }, inbox.push))
    await sql`insert into rt_fixtures.metrics (run, label) values (${run}, 'm')`
    await sql`insert into rt_fixtures.items_full (tenant_id, title) values (${run}, 'f')`
    await inbox.waitFor((e) => e.table === 'metrics' && e.new.run === run)
    await inbox.waitFor((e) => e.table === 'items_full' && e.new.tenant_id === run)
  })

  it('changes committed before the join are not delivered', async () => {
    const run = randomUUID()
    await sql`insert into rt_fixtures.metrics (run, label) values (${run}, 'early')`
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(c.channel(`early-${run}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter: `run=eq.${run}` }, inbox.push))
    await sql`insert into rt_fixtures.metrics (run, label) values (${run}, 'late')`
    await inbox.waitFor((e) => e.new.label === 'late')
    expect(inbox.items.map((e) => e.new.label)).toEqual(['late'])
  })
})

describe('postgres_changes: filters', () => {
  const run = randomUUID()
  const cases: [string, string, string[]][] = [
    ['eq', 'n=eq.2', ['two']],
    ['neq', 'n=neq.2', ['one', 'three', 'ten']],
    ['lt', 'n=lt.3', ['one', 'two']],
    ['lte', 'n=lte.3', ['one', 'two', 'three']],
    ['gt', 'n=gt.3', ['ten']],
    ['gte', 'n=gte.3', ['three', 'ten']],
    ['in', 'label=in.(one,ten)', ['one', 'ten']],
    ['eq on text', 'label=eq.three', ['three']],
    ['eq on boolean', 'ok=eq.true', ['one', 'three']],
  ]
  for (const [name, filter, expected] of cases) {
    it(`filter ${name} (${filter}) selects exactly the matching rows`, async () => {
      const c = track(await rtClient())
      const inbox = new Inbox()
      const tag = `${run}-${name}`
      await subscribed(
        c
          .channel(`f-${tag}`)
          .on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter }, (e) => {
            if (e.new.run === run) inbox.push(e)
          }),
      )
      // A sentinel row that every filter above rejects ends the sequence: events arrive in commit order.
      const sentinel = new Inbox()
      const sc = track(await rtClient())
      await subscribed(
        sc.channel(`s-${tag}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter: `label=eq.end-${tag}` }, sentinel.push),
      )
      await sql`insert into rt_fixtures.metrics (run, label, n, ok) values
        (${run}, 'one', 1, true), (${run}, 'two', 2, false), (${run}, 'three', 3, true), (${run}, 'ten', 10, null)`
      await sql`insert into rt_fixtures.metrics (run, label, n) values (${randomUUID()}, ${'end-' + tag}, -1)`
      await sentinel.waitFor(() => true)
      if (expected.length) await inbox.waitFor((e) => e.new.label === expected[expected.length - 1])
      // The filtered channel's own events all precede the sentinel's commit; give the socket a final turn.
      await new Promise((r) => setImmediate(r))
      expect(inbox.items.map((e) => e.new.label).sort()).toEqual([...expected].sort())
    })
  }

  it('an UPDATE whose new row no longer matches the filter produces no event', async () => {
    const r = randomUUID()
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(
      c.channel(`upd-filter-${r}`).on('postgres_changes', { event: 'UPDATE', schema: 'rt_fixtures', table: 'metrics', filter: `label=eq.keep-${r}` }, inbox.push),
    )
    const [row] = await sql`insert into rt_fixtures.metrics (run, label, n) values (${r}, ${'keep-' + r}, 1) returning id`
    await sql`update rt_fixtures.metrics set label = 'gone' where id = ${row!.id}`
    await sql`update rt_fixtures.metrics set label = ${'keep-' + r} where id = ${row!.id}`
    const ev = await inbox.waitFor(() => true)
    expect(ev.new.label).toBe(`keep-${r}`)
    expect(inbox.items).toHaveLength(1)
  })
})

describe('postgres_changes: old record by replica identity', () => {
  it('REPLICA IDENTITY FULL without RLS gives the whole old row on UPDATE and DELETE', async () => {
    const t = randomUUID()
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(c.channel(`full-${t}`).on('postgres_changes', { event: '*', schema: 'rt_fixtures', table: 'items_full', filter: `tenant_id=eq.${t}` }, inbox.push))
    const [row] = await sql`insert into rt_fixtures.items_full (tenant_id, title, n) values (${t}, 'v1', 1) returning id`
    await sql`update rt_fixtures.items_full set title = 'v2' where id = ${row!.id}`
    await sql`delete from rt_fixtures.items_full where id = ${row!.id}`
    const up = await inbox.waitFor((e) => e.eventType === 'UPDATE')
    const del = await inbox.waitFor((e) => e.eventType === 'DELETE')
    expect(up.old).toEqual({ id: Number(row!.id), tenant_id: t, title: 'v1', n: 1 })
    expect(del.old).toEqual({ id: Number(row!.id), tenant_id: t, title: 'v2', n: 1 })
  })

  it('a DELETE filter on a non-key column matches only with REPLICA IDENTITY FULL', async () => {
    const t = randomUUID()
    const c = track(await rtClient())
    const full = new Inbox()
    const dflt = new Inbox()
    await subscribed(
      c
        .channel(`delf-${t}`)
        .on('postgres_changes', { event: 'DELETE', schema: 'rt_fixtures', table: 'items_full', filter: `tenant_id=eq.${t}` }, full.push)
        .on('postgres_changes', { event: 'DELETE', schema: 'rt_fixtures', table: 'metrics', filter: `run=eq.${t}` }, dflt.push),
    )
    await sql`insert into rt_fixtures.metrics (run, label) values (${t}, 'd')`
    await sql`delete from rt_fixtures.metrics where run = ${t}`
    await sql`insert into rt_fixtures.items_full (tenant_id, title) values (${t}, 'd')`
    await sql`delete from rt_fixtures.items_full where tenant_id = ${t}`
    await full.waitFor(() => true)
    expect(dflt.items).toHaveLength(0)
  })

  it('REPLICA IDENTITY FULL with RLS reduces the old record to the primary key', async () => {
    const t = randomUUID()
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(c.channel(`fullrls-${t}`).on('postgres_changes', { event: '*', schema: 'rt_fixtures', table: 'items_full_rls', filter: `tenant_id=eq.${t}` }, inbox.push))
    const [row] = await sql`insert into rt_fixtures.items_full_rls (tenant_id, title) values (${t}, 'v1') returning id`
    await sql`update rt_fixtures.items_full_rls set title = 'v2' where id = ${row!.id}`
    const up = await inbox.waitFor((e) => e.eventType === 'UPDATE')
    expect(up.new).toMatchObject({ title: 'v2', tenant_id: t })
    expect(up.old).toEqual({ id: Number(row!.id) })
  })
})

describe('postgres_changes: RLS per subscriber', () => {
  it("a member of tenant B never receives tenant A's rows; the service role receives both", async () => {
    const a = await tenantWithUser()
    const b = await tenantWithUser()
    const ca = track(await rtClient({ token: a.token }))
    const cb = track(await rtClient({ token: b.token }))
    const cs = track(await rtClient({ key: 'service' }))
    const ia = new Inbox()
    const ib = new Inbox()
    const is = new Inbox()
    const spec = { event: 'INSERT', schema: 'rt_fixtures', table: 'items' } as const
    await subscribed(ca.channel(`rls-a-${a.tenantId}`).on('postgres_changes', spec, ia.push))
    await subscribed(cb.channel(`rls-b-${b.tenantId}`).on('postgres_changes', spec, ib.push))
    await subscribed(cs.channel(`rls-s-${a.tenantId}`).on('postgres_changes', spec, is.push))
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'for A')`
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${b.tenantId}, 'for B')`
    await ib.waitFor((e) => e.new.title === 'for B')
    await ia.waitFor((e) => e.new.title === 'for A')
    await is.waitFor((e) => e.new.tenant_id === a.tenantId)
    await is.waitFor((e) => e.new.tenant_id === b.tenantId)
    expect(ib.items.filter((e) => e.new.tenant_id !== b.tenantId)).toEqual([])
    expect(ia.items.filter((e) => e.new.tenant_id !== a.tenantId)).toEqual([])
  })

  it('anon gets no INSERT from an RLS table, but does from a table without RLS', async () => {
    const a = await tenantWithUser()
    const c = track(await rtClient())
    const items = new Inbox()
    const metrics = new Inbox()
    await subscribed(
      c
        .channel(`anon-${a.tenantId}`)
        .on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'items', filter: `tenant_id=eq.${a.tenantId}` }, items.push)
        .on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter: `run=eq.${a.tenantId}` }, metrics.push),
    )
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'secret')`
    await sql`insert into rt_fixtures.metrics (run, label) values (${a.tenantId}, 'public')`
    await metrics.waitFor(() => true)
    expect(items.items).toEqual([])
  })

  it('an access_token update swaps the claims used for RLS', async () => {
    const a = await tenantWithUser()
    const b = await tenantWithUser()
    const c = track(await rtClient({ token: a.token }))
    const inbox = new Inbox()
    await subscribed(c.channel(`swap-${a.tenantId}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'items' }, inbox.push))
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'a1')`
    await inbox.waitFor((e) => e.new.title === 'a1')
    c.auth_.token = b.token
    await c.realtime.setAuth()
    // The update is a push without reply; a heartbeat round trip after it proves the server has read it.
    await heartbeat(c)
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'a2')`
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${b.tenantId}, 'b1')`
    await inbox.waitFor((e) => e.new.title === 'b1')
    expect(inbox.items.map((e) => e.new.title)).toEqual(['a1', 'b1'])
  })

  it('DELETE events are not RLS-checked: subscribers get the primary key only', async () => {
    const a = await tenantWithUser()
    const b = await tenantWithUser()
    const cb = track(await rtClient({ token: b.token }))
    const inbox = new Inbox()
    const [row] = await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'x') returning id`
    await subscribed(cb.channel(`del-${b.tenantId}`).on('postgres_changes', { event: 'DELETE', schema: 'rt_fixtures', table: 'items' }, inbox.push))
    await sql`delete from rt_fixtures.items where id = ${row!.id}`
    const ev = await inbox.waitFor((e) => e.old.id === Number(row!.id))
    expect(ev.old).toEqual({ id: Number(row!.id) })
  })

  it('columns the role cannot SELECT are left out of the record and the columns list', async () => {
    const run = randomUUID()
    const c = track(await rtClient())
    const inbox = new Inbox()
    let raw: any
    const ch = c.channel(`cols-${run}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'secret_cols', filter: `run=eq.${run}` }, inbox.push)
    await subscribed(ch)
    await sql`insert into rt_fixtures.secret_cols (run, visible, hidden) values (${run}, 'v', 'h')`
    raw = await inbox.waitFor(() => true)
    expect(raw.new).toEqual({ id: raw.new.id, run, visible: 'v' })
    expect(raw.new).not.toHaveProperty('hidden')
  })

  it('a table without a primary key reports the error instead of a record', async () => {
    const run = randomUUID()
    const c = track(await rtClient({ key: 'service' }))
    const inbox = new Inbox()
    await subscribed(c.channel(`nopk-${run}`).on('postgres_changes', { event: 'INSERT', schema: 'rt_fixtures', table: 'nopk' }, inbox.push))
    await sql`insert into rt_fixtures.nopk (run, label) values (${run}, 'x')`
    const ev = await inbox.waitFor(() => true)
    expect(ev.errors).toEqual(['Error 400: Bad Request, no primary key'])
    expect(ev.new).toEqual({})
  })
})

/** Sends a heartbeat and waits for its reply (everything sent before it has been handled). */
async function heartbeat(c: SupabaseClient): Promise<void> {
  const rt = c.realtime as any
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no heartbeat reply')), 5000)
    const prev = rt.heartbeatCallback
    rt.onHeartbeat((status: string) => {
      if (status === 'ok') {
        clearTimeout(t)
        rt.onHeartbeat(prev ?? (() => {}))
        resolve()
      }
    })
    void rt.sendHeartbeat()
  })
}

export { mintToken }
