/**
 * Realtime channels: socket auth, Phoenix framing (vsn 1.0.0 and 2.0.0 with
 * binary broadcast frames, raw `ws`), heartbeats, joins and leaves, token
 * lifecycle, broadcast (socket and REST), presence and replication reconnects —
 * through the real supabase-js wherever it can drive the case.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { SupabaseClient } from '@supabase/supabase-js'
import type postgres from 'postgres'
import { adminSql, env } from '../helpers/stack'
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

/** A raw Phoenix socket for framing-level cases. */
class Raw {
  ws: WebSocket
  frames = new Inbox<{ text?: any; binary?: Buffer }>()
  opened: Promise<void>
  constructor(opts: { vsn?: string; apikey?: string } = {}) {
    const base = env('SUPABASE_URL').replace(/^http/, 'ws')
    const q = new URLSearchParams({ apikey: opts.apikey ?? env('SUPABASE_ANON_KEY'), ...(opts.vsn ? { vsn: opts.vsn } : {}) })
    this.ws = new WebSocket(`${base}/realtime/v1/websocket?${q}`)
    this.ws.on('message', (d, isBinary) => {
      if (isBinary) this.frames.push({ binary: d as Buffer })
      else this.frames.push({ text: JSON.parse(d.toString()) })
    })
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', () => res())
      this.ws.once('error', rej)
    })
  }
  send(x: unknown): void {
    this.ws.send(typeof x === 'string' || Buffer.isBuffer(x) ? (x as string) : JSON.stringify(x))
  }
  /** The vsn 2.0.0 reply to `ref`. */
  reply(ref: string) {
    return this.frames.waitFor((f) => Array.isArray(f.text) && f.text[1] === ref && f.text[3] === 'phx_reply')
  }
  close() {
    this.ws.close()
  }
}

function userBroadcastPush(joinRef: string, ref: string, topic: string, event: string, payload: Buffer, encoding: 0 | 1): Buffer {
  const parts = [joinRef, ref, topic, event, ''].map((s) => Buffer.from(s))
  return Buffer.concat([Buffer.from([3, ...parts.map((p) => p.length), encoding]), ...parts, payload])
}

function decodeUserBroadcast(b: Buffer) {
  const [kind, tl, el, ml, enc] = [b[0], b[1]!, b[2]!, b[3]!, b[4]]
  let o = 5
  const topic = b.toString('utf8', o, (o += tl))
  const event = b.toString('utf8', o, (o += el))
  const meta = b.toString('utf8', o, (o += ml))
  return { kind, enc, topic, event, meta, payload: b.subarray(o) }
}

describe('socket and framing', () => {
  it('refuses a socket without a valid API key with 401', async () => {
    const res = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${env('SUPABASE_URL').replace(/^http/, 'ws')}/realtime/v1/websocket?vsn=2.0.0&apikey=not-a-jwt`)
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => {})
    })
    expect(res).toBe(401)
  })

  it('accepts the opaque publishable key as the anon key', async () => {
    const raw = new Raw({ vsn: '2.0.0', apikey: env('SUPABASE_PUBLISHABLE_KEY') })
    await raw.opened
    raw.send([null, 'h1', 'phoenix', 'heartbeat', {}])
    const r = await raw.reply('h1')
    expect(r.text).toEqual([null, 'h1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
    raw.close()
  })

  it('answers heartbeats and joins with vsn 1.0.0 object frames', async () => {
    const raw = new Raw({ vsn: '1.0.0' })
    await raw.opened
    raw.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '1', join_ref: null })
    const hb = await raw.frames.waitFor((f) => f.text?.ref === '1')
    expect(hb.text).toEqual({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '1', join_ref: null })
    raw.send({ topic: 'realtime:v1room', event: 'phx_join', payload: { config: {} }, ref: '2', join_ref: '2' })
    const join = await raw.frames.waitFor((f) => f.text?.ref === '2')
    expect(join.text.payload).toEqual({ status: 'ok', response: { postgres_changes: [] } })
    raw.close()
  })

  it('replies "unmatched topic" to pushes on a topic that was never joined, and keeps the socket', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['9', '3', 'realtime:nobody', 'presence', { type: 'presence', event: 'track', payload: {} }])
    const r = await raw.reply('3')
    expect(r.text[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } })
    raw.send(['4', '4', 'not-realtime', 'phx_join', {}])
    expect((await raw.reply('4')).text[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } })
    raw.close()
  })

  it('ignores malformed frames and keeps serving the socket', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send('{not json')
    raw.send('[1,2]')
    raw.send(Buffer.from([9, 9, 9]))
    raw.send([null, 'after', 'phoenix', 'heartbeat', {}])
    const r = await raw.reply('after')
    expect(r.text[4].status).toBe('ok')
    expect(raw.ws.readyState).toBe(WebSocket.OPEN)
    raw.close()
  })

  it('answers phx_leave with ok, then phx_close', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['1', '1', 'realtime:leave-me', 'phx_join', { config: {} }])
    await raw.reply('1')
    raw.send(['1', '2', 'realtime:leave-me', 'phx_leave', {}])
    expect((await raw.reply('2')).text[4].status).toBe('ok')
    const close = await raw.frames.waitFor((f) => f.text?.[3] === 'phx_close')
    expect(close.text).toEqual(['1', null, 'realtime:leave-me', 'phx_close', {}])
    raw.close()
  })

  it('returns the requested postgres_changes in order with an id each, and pushes the system message', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    const pc = [
      { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter: 'n=gt.1' },
      { event: '*', schema: 'rt_fixtures', table: 'items' },
    ]
    raw.send(['5', '5', 'realtime:ids', 'phx_join', { config: { postgres_changes: pc } }])
    const r = await raw.reply('5')
    const list = r.text[4].response.postgres_changes
    expect(list.map(({ id, ...rest }: any) => rest)).toEqual(pc)
    for (const e of list) expect(Number.isInteger(e.id) && e.id > 0).toBe(true)
    const sys = await raw.frames.waitFor((f) => f.text?.[3] === 'system')
    expect(sys.text[4]).toMatchObject({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    raw.close()
  })

  it('a table outside the publication gets the "Unable to subscribe" system error', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['6', '6', 'realtime:nopub', 'phx_join', { config: { postgres_changes: [{ event: '*', schema: 'rt_fixtures', table: 'members' }] } }])
    expect((await raw.reply('6')).text[4].status).toBe('ok')
    const sys = await raw.frames.waitFor((f) => f.text?.[3] === 'system')
    expect(sys.text[4].status).toBe('error')
    expect(sys.text[4].message).toMatch(/^Unable to subscribe to changes with given parameters/)
    raw.close()
  })
})

describe('tokens', () => {
  it('rejects a join with an expired access token, with the reason', async () => {
    const c = track(await rtClient({ token: await mintToken(randomUUID(), { expiresIn: -30 }) }))
    await expect(subscribed(c.channel(`exp-${randomUUID()}`))).rejects.toThrow(/CHANNEL_ERROR: Token has expired \d+ seconds ago/)
  })

  it('rejects a join whose JWT lacks exp', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['1', '1', 'realtime:noexp', 'phx_join', { config: {}, access_token: await mintToken(randomUUID(), { omitExp: true }) }])
    expect((await raw.reply('1')).text[4]).toEqual({ status: 'error', response: { reason: 'Fields `role` and `exp` are required in JWT' } })
    raw.close()
  })

  it('closes the channel with a system error when its token expires', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['1', '1', 'realtime:expiring', 'phx_join', { config: {}, access_token: await mintToken(randomUUID(), { expiresIn: 4 }) }])
    // Four seconds leave room for a slow join on a busy machine; the close follows the expiry.
    expect((await raw.reply('1')).text[4].status).toBe('ok')
    const sys = await raw.frames.waitFor((f) => f.text?.[3] === 'system', 15_000)
    expect(sys.text[4]).toMatchObject({ extension: 'system', status: 'error' })
    expect(sys.text[4].message).toMatch(/^Token has expired/)
    await raw.frames.waitFor((f) => f.text?.[3] === 'phx_close')
    raw.close()
  })

  it('an invalid access_token update closes the channel with a system error', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['1', '1', 'realtime:badupdate', 'phx_join', { config: {} }])
    await raw.reply('1')
    raw.send(['1', '2', 'realtime:badupdate', 'access_token', { access_token: 'x.y.z' }])
    const sys = await raw.frames.waitFor((f) => f.text?.[3] === 'system')
    expect(sys.text[4]).toMatchObject({ extension: 'system', status: 'error', message: 'Invalid token' })
    await raw.frames.waitFor((f) => f.text?.[3] === 'phx_close')
    // The topic is gone: a later push is unmatched.
    raw.send(['1', '3', 'realtime:badupdate', 'presence', { type: 'presence', event: 'untrack' }])
    expect((await raw.reply('3')).text[4].response.reason).toBe('unmatched topic')
    raw.close()
  })
})

describe('broadcast', () => {
  it('self:false delivers to others only; self:true to the sender as well', async () => {
    const room = `room-${randomUUID()}`
    const a = track(await rtClient())
    const b = track(await rtClient())
    const aSelf = new Inbox()
    const bGot = new Inbox()
    const chA = a.channel(room, { config: { broadcast: { self: true } } }).on('broadcast', { event: 'msg' }, aSelf.push)
    const chB = b.channel(room).on('broadcast', { event: 'msg' }, bGot.push)
    await subscribed(chA)
    await subscribed(chB)
    expect(await chA.send({ type: 'broadcast', event: 'msg', payload: { from: 'a', n: 1 } })).toBe('ok')
    expect(await chB.send({ type: 'broadcast', event: 'msg', payload: { from: 'b', n: 2 } })).toBe('ok')
    await bGot.waitFor((e) => e.payload.from === 'a')
    await aSelf.waitFor((e) => e.payload.from === 'a')
    await aSelf.waitFor((e) => e.payload.from === 'b')
    expect(bGot.items.map((e) => e.payload.from)).toEqual(['a'])
    expect(bGot.items[0]).toMatchObject({ type: 'broadcast', event: 'msg', payload: { from: 'a', n: 1 } })
  })

  it("listeners match on the event name, '*' matches all", async () => {
    const room = `ev-${randomUUID()}`
    const a = track(await rtClient())
    const b = track(await rtClient())
    const only = new Inbox()
    const all = new Inbox()
    const chB = b.channel(room).on('broadcast', { event: 'yes' }, only.push).on('broadcast', { event: '*' }, all.push)
    await subscribed(chB)
    const chA = a.channel(room)
    await subscribed(chA)
    await chA.send({ type: 'broadcast', event: 'no', payload: {} })
    await chA.send({ type: 'broadcast', event: 'yes', payload: {} })
    await all.waitFor((e) => e.event === 'yes')
    expect(all.items.map((e) => e.event)).toEqual(['no', 'yes'])
    expect(only.items.map((e) => e.event)).toEqual(['yes'])
  })

  it('with ack:true, send resolves ok after the server reply', async () => {
    const raw = new Raw({ vsn: '2.0.0' })
    await raw.opened
    raw.send(['1', '1', 'realtime:ack', 'phx_join', { config: { broadcast: { ack: true } } }])
    await raw.reply('1')
    raw.send(userBroadcastPush('1', '2', 'realtime:ack', 'e', Buffer.from('{"a":1}'), 1))
    expect((await raw.reply('2')).text[4]).toEqual({ status: 'ok', response: {} })
    raw.send(['2', '3', 'realtime:noack', 'phx_join', { config: { broadcast: { ack: false } } }])
    await raw.reply('3')
    raw.send(userBroadcastPush('2', '4', 'realtime:noack', 'e', Buffer.from('{}'), 1))
    raw.send([null, 'hb', 'phoenix', 'heartbeat', {}])
    await raw.reply('hb')
    expect(raw.frames.items.some((f) => f.text?.[1] === '4')).toBe(false)
    raw.close()

    const c = track(await rtClient())
    const ch = c.channel(`ack-${randomUUID()}`, { config: { broadcast: { ack: true } } })
    await subscribed(ch)
    expect(await ch.send({ type: 'broadcast', event: 'x', payload: {} })).toBe('ok')
  })

  it('vsn 2.0.0: kind 3 pushes fan out as kind 4 frames, JSON and binary payloads alike', async () => {
    const a = new Raw({ vsn: '2.0.0' })
    const b = new Raw({ vsn: '2.0.0' })
    await Promise.all([a.opened, b.opened])
    const topic = `realtime:bin-${randomUUID()}`
    a.send(['1', '1', topic, 'phx_join', { config: {} }])
    b.send(['1', '1', topic, 'phx_join', { config: {} }])
    await Promise.all([a.reply('1'), b.reply('1')])
    a.send(userBroadcastPush('1', '2', topic, 'json-ev', Buffer.from(JSON.stringify({ é: 'ü', n: 1 })), 1))
    a.send(userBroadcastPush('1', '3', topic, 'bin-ev', Buffer.from([0, 1, 2, 255]), 0))
    const j = await b.frames.waitFor((f) => !!f.binary && decodeUserBroadcast(f.binary).event === 'json-ev')
    const bin = await b.frames.waitFor((f) => !!f.binary && decodeUserBroadcast(f.binary).event === 'bin-ev')
    const dj = decodeUserBroadcast(j.binary!)
    expect(dj).toMatchObject({ kind: 4, enc: 1, topic, meta: '' })
    expect(JSON.parse(dj.payload.toString('utf8'))).toEqual({ é: 'ü', n: 1 })
    const db = decodeUserBroadcast(bin.binary!)
    expect(db.enc).toBe(0)
    expect([...db.payload]).toEqual([0, 1, 2, 255])
    // Not echoed to the sender without self.
    a.send([null, 'hb', 'phoenix', 'heartbeat', {}])
    await a.reply('hb')
    expect(a.frames.items.some((f) => f.binary)).toBe(false)
    a.close()
    b.close()
  })

  it('vsn 1.0.0 subscribers receive the broadcast as a JSON frame', async () => {
    const a = new Raw({ vsn: '2.0.0' })
    const b = new Raw({ vsn: '1.0.0' })
    await Promise.all([a.opened, b.opened])
    const topic = `realtime:mixed-${randomUUID()}`
    a.send(['1', '1', topic, 'phx_join', { config: {} }])
    b.send({ topic, event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' })
    await a.reply('1')
    await b.frames.waitFor((f) => f.text?.ref === '1')
    a.send(userBroadcastPush('1', '2', topic, 'hi', Buffer.from('{"x":true}'), 1))
    const got = await b.frames.waitFor((f) => f.text?.event === 'broadcast')
    expect(got.text).toEqual({ topic, event: 'broadcast', payload: { type: 'broadcast', event: 'hi', payload: { x: true } }, ref: null, join_ref: '1' })
    a.close()
    b.close()
  })

  it('send() before subscribing goes through POST /api/broadcast and reaches joined subscribers', async () => {
    const room = `rest-${randomUUID()}`
    const listener = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(listener.channel(room).on('broadcast', { event: 'note' }, inbox.push))
    const sender = track(await rtClient())
    const ch = sender.channel(room)
    expect(await ch.send({ type: 'broadcast', event: 'note', payload: { via: 'rest' } })).toBe('ok')
    const ev = await inbox.waitFor(() => true)
    expect(ev.payload).toEqual({ via: 'rest' })
  })

  it('REST broadcast answers 202 with the service or anon key, 401 without a valid key, 422 on a bad body', async () => {
    const room = `rest2-${randomUUID()}`
    const listener = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(listener.channel(room).on('broadcast', { event: '*' }, inbox.push))
    const url = `${env('SUPABASE_URL')}/realtime/v1/api/broadcast`
    const post = (key: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { apikey: key, authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const msg = (event: string) => ({ messages: [{ topic: room, event, payload: { event } }] })
    expect((await post(env('SUPABASE_SERVICE_ROLE_KEY'), msg('svc'))).status).toBe(202)
    expect((await post(env('SUPABASE_ANON_KEY'), msg('anon'))).status).toBe(202)
    expect((await post('nope', msg('bad'))).status).toBe(401)
    expect((await post(env('SUPABASE_ANON_KEY'), { messages: [{ event: 'x' }] })).status).toBe(422)
    // httpSend's single-message route
    const single = await fetch(`${env('SUPABASE_URL')}/realtime/v1/api/broadcast/${room}/events/single`, {
      method: 'POST', headers: { apikey: env('SUPABASE_ANON_KEY'), 'content-type': 'application/json' }, body: JSON.stringify({ s: 1 }),
    })
    expect(single.status).toBe(202)
    await inbox.waitFor((e) => e.event === 'single')
    expect(inbox.items.map((e) => e.event)).toEqual(['svc', 'anon', 'single'])
  })
})

describe('presence', () => {
  it('track gives the other client a join and a presence_state entry; untrack a leave', async () => {
    const room = `presence-${randomUUID()}`
    const a = track(await rtClient())
    const b = track(await rtClient())
    const joins = new Inbox()
    const leaves = new Inbox()
    const syncs = new Inbox()
    const chB = b
      .channel(room)
      .on('presence', { event: 'sync' }, () => syncs.push(chB.presenceState()))
      .on('presence', { event: 'join' }, joins.push)
      .on('presence', { event: 'leave' }, leaves.push)
    await subscribed(chB)
    const chA = a.channel(room, { config: { presence: { key: 'agent-a' } } })
    await subscribed(chA)
    expect(await chA.track({ online: true })).toBe('ok')
    const j = await joins.waitFor((e) => e.key === 'agent-a')
    expect(j.newPresences[0]).toMatchObject({ online: true })
    expect(typeof j.newPresences[0].presence_ref).toBe('string')
    const state = chB.presenceState() as Record<string, any[]>
    expect(Object.keys(state)).toEqual(['agent-a'])
    expect(state['agent-a']![0]).toMatchObject({ online: true })
    expect(await chA.untrack()).toBe('ok')
    const l = await leaves.waitFor((e) => e.key === 'agent-a')
    expect(l.leftPresences[0]).toMatchObject({ online: true })
    await syncs.waitFor((s) => Object.keys(s).length === 0)
  })

  it('a late joiner receives presence_state with the current members; a closed socket leaves', async () => {
    const room = `presence2-${randomUUID()}`
    const a = await rtClient()
    const chA = a.channel(room, { config: { presence: { key: 'first' } } })
    await subscribed(chA)
    await chA.track({ name: 'A' })
    const b = track(await rtClient())
    const synced = new Inbox()
    const leaves = new Inbox()
    const chB = b
      .channel(room, { config: { presence: { key: 'second' } } })
      .on('presence', { event: 'sync' }, () => synced.push(chB.presenceState()))
      .on('presence', { event: 'leave' }, leaves.push)
    await subscribed(chB)
    const s = await synced.waitFor((st) => 'first' in st)
    expect(s.first[0]).toMatchObject({ name: 'A' })
    a.realtime.disconnect()
    await leaves.waitFor((e) => e.key === 'first')
  })

  it('re-tracking under the same key replaces the meta', async () => {
    const room = `presence3-${randomUUID()}`
    const a = track(await rtClient())
    const b = track(await rtClient())
    const synced = new Inbox()
    const chB = b.channel(room).on('presence', { event: 'sync' }, () => synced.push(chB.presenceState()))
    await subscribed(chB)
    const chA = a.channel(room, { config: { presence: { key: 'k' } } })
    await subscribed(chA)
    await chA.track({ v: 1 })
    await chA.track({ v: 2 })
    const s = await synced.waitFor((st: any) => st.k?.length === 1 && st.k[0].v === 2)
    expect(s.k).toHaveLength(1)
  })
})

describe('replication reconnects', () => {
  it('after the walsender is killed, the stream resumes: rows committed in the gap and after a rejoin arrive', async () => {
    const run = randomUUID()
    const spec = { event: 'INSERT', schema: 'rt_fixtures', table: 'metrics', filter: `run=eq.${run}` } as const
    const before = track(await rtClient())
    const kept = new Inbox()
    await subscribed(before.channel(`kept-${run}`).on('postgres_changes', spec, kept.push))
    const killed = await sql`select pg_terminate_backend(pid) as ok from pg_stat_replication where application_name = 'realtime_local'`
    expect(killed.length).toBeGreaterThan(0)
    await sql`insert into rt_fixtures.metrics (run, label) values (${run}, 'in-the-gap')`
    expect((await kept.waitFor(() => true, 10_000)).new.label).toBe('in-the-gap')
    const c = track(await rtClient())
    const inbox = new Inbox()
    await subscribed(c.channel(`rejoin-${run}`).on('postgres_changes', spec, inbox.push))
    await sql`insert into rt_fixtures.metrics (run, label) values (${run}, 'after-rejoin')`
    expect((await inbox.waitFor(() => true, 10_000)).new.label).toBe('after-rejoin')
    await kept.waitFor((e) => e.new.label === 'after-rejoin')
    expect(kept.items.map((e) => e.new.label)).toEqual(['in-the-gap', 'after-rejoin'])
  })
})

describe('RLS with private tenants over the same topic', () => {
  it('two members of different tenants on one channel name each get only their rows', async () => {
    const a = await tenantWithUser()
    const b = await tenantWithUser()
    const name = `shared-${randomUUID()}`
    const ca = track(await rtClient({ token: a.token }))
    const cb = track(await rtClient({ token: b.token }))
    const ia = new Inbox()
    const ib = new Inbox()
    const spec = { event: 'INSERT', schema: 'rt_fixtures', table: 'items' } as const
    await subscribed(ca.channel(name).on('postgres_changes', spec, ia.push))
    await subscribed(cb.channel(name).on('postgres_changes', spec, ib.push))
    await sql`insert into rt_fixtures.items (tenant_id, title) values (${a.tenantId}, 'A1'), (${b.tenantId}, 'B1')`
    await ia.waitFor((e) => e.new.title === 'A1')
    await ib.waitFor((e) => e.new.title === 'B1')
    expect(ia.items.map((e) => e.new.title)).toEqual(['A1'])
    expect(ib.items.map((e) => e.new.title)).toEqual(['B1'])
  })
})
