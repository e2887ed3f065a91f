/**
 * Realtime at /realtime/v1: Phoenix channels over WebSocket (`/websocket`,
 * serializers 1.0.0 and 2.0.0), postgres_changes from logical replication of
 * the `supabase_realtime` publication filtered by each subscriber's RLS,
 * broadcast (socket and REST `/api/broadcast`) and presence.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import postgres from 'postgres'
import { WebSocketServer, type WebSocket } from 'ws'
import { dbFailure, type GatewayContext, type GatewayModule } from '../context.ts'
import { bearer, BodyTooLarge, readBody, sendJson } from '../http.ts'
import { ChangeDispatcher, type Binding, type ChangeSubscriber, type Claims } from './changes.ts'
import { FilterError, parseFilter } from './filters.ts'
import {
  accessTokenPayload,
  bindingHash,
  broadcastPayload,
  decodeBinary,
  decodeText,
  encodeBinaryBroadcast,
  encodeText,
  joinPayload,
  presencePayload,
  ProtocolError,
  restBroadcast,
  type BroadcastBody,
  type Message,
  type Vsn,
} from './protocol.ts'
import { ReplicationStream } from './replication.ts'

const PUBLICATION = 'supabase_realtime'
/** Supabase Realtime's join refusal when the project database cannot be reached (retryable: the client rejoins). */
const DB_UNREACHABLE = 'UnableToConnectToProject: Realtime was unable to connect to the project database'

class TokenError extends Error {}

interface PresenceMeta {
  phx_ref: string
  [k: string]: unknown
}

let refCounter = 0
const nextRef = () => `${Date.now().toString(36)}${(refCounter++).toString(36)}`

/**
 * A socket buffering more than this (a client that stopped reading) is closed,
 * so one slow consumer never holds memory or delays the others.
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/** Sockets corked during a postgres_changes fan-out; uncorked once per batch. */
const corked = new Set<Conn>()

function uncorkAll(): void {
  for (const c of corked) {
    c.corked = false
    const s = (c.ws as unknown as { _socket?: { uncork(): void } })._socket
    s?.uncork()
  }
  corked.clear()
}

class Conn {
  channels = new Map<string, Channel>()
  alive = true
  corked = false
  constructor(
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    readonly apikey: string,
  ) {}

  send(m: Message): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeText(this.vsn, m))
  }

  sendRaw(data: string | Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(data)
  }

  /**
   * A change push: the socket stays corked until the batch's fan-out ends, so
   * all of a batch's frames for this socket leave in one write.
   */
  sendChange(data: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.close(1013, 'slow consumer: too many buffered changes')
      return
    }
    if (!this.corked) {
      const s = (this.ws as unknown as { _socket?: { cork(): void } })._socket
      if (s) {
        s.cork()
        this.corked = true
        corked.add(this)
      }
    }
    this.ws.send(data)
  }

  reply(m: Pick<Message, 'joinRef' | 'ref' | 'topic'>, status: 'ok' | 'error', response: unknown): void {
    this.send({ joinRef: m.joinRef, ref: m.ref, topic: m.topic, event: 'phx_reply', payload: { status, response } })
  }
}

class Channel implements ChangeSubscriber {
  readonly uid = randomUUID()
  bindings: Binding[] = []
  claimsKey: string
  expiryTimer: NodeJS.Timeout | null = null
  constructor(
    readonly conn: Conn,
    readonly topic: string,
    readonly joinRef: string | null,
    public claims: Claims,
    readonly self: boolean,
    readonly ack: boolean,
    readonly presenceKey: string,
    readonly presenceEnabled: boolean,
    readonly isPrivate: boolean,
  ) {
    this.claimsKey = JSON.stringify(claims)
  }

  setClaims(c: Claims): void {
    this.claims = c
    this.claimsKey = JSON.stringify(c)
  }

  push(event: string, payload: unknown): void {
    this.conn.send({ joinRef: this.joinRef, ref: null, topic: this.topic, event, payload })
  }

  /** The frame text before the ids, fixed for the channel's life (topic and join ref never change). */
  private changePrefix?: string

  pushChange(ids: number[], dataJson: string): void {
    this.changePrefix ??= this.conn.vsn === '2.0.0'
      ? `[${JSON.stringify(this.joinRef)},null,${JSON.stringify(this.topic)},"postgres_changes",{"ids":`
      : `{"join_ref":${JSON.stringify(this.joinRef)},"ref":null,"topic":${JSON.stringify(this.topic)},"event":"postgres_changes","payload":{"ids":`
    const idsJson = ids.length === 1 ? `[${ids[0]}]` : JSON.stringify(ids)
    this.conn.sendChange(`${this.changePrefix}${idsJson},"data":${dataJson}}${this.conn.vsn === '2.0.0' ? ']' : '}'}`)
  }
}

export function createRealtime(ctx: GatewayContext): GatewayModule {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 })
  const conns = new Set<Conn>()
  const topics = new Map<string, Set<Channel>>()
  /** topic -> presence key -> channel uid -> meta */
  const presence = new Map<string, Map<string, Map<string, PresenceMeta>>>()

  const log = ctx.log
  const channelsWithChanges = new Set<Channel>()
  // Its own superuser connection: the RLS checks switch roles, and they must not queue behind REST's schema loads.
  // No array types fetched on connect (its queries send and read text and JSON only): a
  // connection that dies during that internal fetch would leave the pool without them.
  const changesDb = postgres(ctx.cfg.dbUrl, {
    max: 1, onnotice: () => {}, fetch_types: false, connection: { application_name: 'realtime_changes' },
    // Back within half a second of Postgres (postgres.js would otherwise grow the wait to 20 s).
    connect_timeout: 10, backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
  })
  const dispatcher = new ChangeDispatcher(changesDb, () => channelsWithChanges, log, uncorkAll)
  const replication = new ReplicationStream({
    url: ctx.cfg.dbUrl,
    publication: PUBLICATION,
    applicationName: 'realtime_local',
    slot: `realtime_local_${ctx.cfg.ports.gateway}`,
    onTransaction: (tx) => dispatcher.enqueue(tx),
    log,
  })
  replication.start()

  // ---------------------------------------------------------------- tokens

  function translateKey(key: string): string {
    if (key === ctx.cfg.keys.secretKey) return ctx.cfg.keys.serviceRoleKey
    if (key === ctx.cfg.keys.publishableKey) return ctx.cfg.keys.anonKey
    return key
  }

  async function claimsOf(token: string): Promise<Claims> {
    let payload: Record<string, unknown>
    try {
      payload = (await ctx.verifyJwt(token)) as Record<string, unknown>
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === 'ERR_JWT_EXPIRED') {
        const exp = decodeExp(token)
        throw new TokenError(`Token has expired ${exp ? Math.max(0, Math.floor(Date.now() / 1000) - exp) : 0} seconds ago`)
      }
      throw new TokenError('Invalid token')
    }
    if (typeof payload.role !== 'string' || typeof payload.exp !== 'number') {
      throw new TokenError('Fields `role` and `exp` are required in JWT')
    }
    return payload as Claims
  }

  function scheduleExpiry(ch: Channel): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer)
    ch.expiryTimer = null
    const exp = ch.claims.exp
    if (typeof exp !== 'number') return
    const ms = exp * 1000 - Date.now()
    // Far-future keys (the anon/service keys expire in 2032) need no timer.
    if (ms > 2 ** 31 - 1) return
    ch.expiryTimer = setTimeout(() => {
      ch.push('system', { extension: 'system', status: 'error', message: 'Token has expired 0 seconds ago', channel: subTopic(ch.topic) })
      closeChannel(ch, true)
    }, Math.max(0, ms))
    ch.expiryTimer.unref()
  }

  // ---------------------------------------------------------------- channels

  function subTopic(topic: string): string {
    return topic.replace(/^realtime:/, '')
  }

  function presenceState(topic: string): Record<string, { metas: PresenceMeta[] }> {
    const out: Record<string, { metas: PresenceMeta[] }> = {}
    for (const [key, byChan] of presence.get(topic) ?? []) {
      if (byChan.size) out[key] = { metas: [...byChan.values()] }
    }
    return out
  }

  function presenceDiff(topic: string, joins: Record<string, { metas: PresenceMeta[] }>, leaves: Record<string, { metas: PresenceMeta[] }>): void {
    for (const ch of topics.get(topic) ?? []) if (ch.presenceEnabled) ch.push('presence_diff', { joins, leaves })
  }

  function untrack(ch: Channel): void {
    const byKey = presence.get(ch.topic)
    const byChan = byKey?.get(ch.presenceKey)
    const meta = byChan?.get(ch.uid)
    if (!byKey || !byChan || !meta) return
    byChan.delete(ch.uid)
    if (!byChan.size) byKey.delete(ch.presenceKey)
    if (!byKey.size) presence.delete(ch.topic)
    presenceDiff(ch.topic, {}, { [ch.presenceKey]: { metas: [meta] } })
  }

  function track(ch: Channel, obj: Record<string, unknown>): void {
    let byKey = presence.get(ch.topic)
    if (!byKey) presence.set(ch.topic, (byKey = new Map()))
    let byChan = byKey.get(ch.presenceKey)
    if (!byChan) byKey.set(ch.presenceKey, (byChan = new Map()))
    const old = byChan.get(ch.uid)
    const meta: PresenceMeta = { ...obj, phx_ref: nextRef() }
    if (old) meta.phx_ref_prev = old.phx_ref
    byChan.set(ch.uid, meta)
    presenceDiff(ch.topic, { [ch.presenceKey]: { metas: [meta] } }, old ? { [ch.presenceKey]: { metas: [old] } } : {})
  }

  /** Removes a channel; `notify` sends phx_close to the client. */
  function closeChannel(ch: Channel, notify: boolean): void {
    if (ch.conn.channels.get(ch.topic) !== ch) return
    ch.conn.channels.delete(ch.topic)
    channelsWithChanges.delete(ch)
    const set = topics.get(ch.topic)
    set?.delete(ch)
    if (set && !set.size) topics.delete(ch.topic)
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer)
    untrack(ch)
    if (notify) ch.push('phx_close', {})
  }

  async function publicationTables(): Promise<{ schema: string; table: string }[]> {
    const rows = await ctx.admin`select schemaname::text as schema, tablename::text as "table" from pg_publication_tables where pubname = ${PUBLICATION}`
    return rows as unknown as { schema: string; table: string }[]
  }

  async function join(conn: Conn, m: Message): Promise<void> {
    if (!m.topic.startsWith('realtime:')) return conn.reply(m, 'error', { reason: 'unmatched topic' })
    const parsed = joinPayload.safeParse(m.payload ?? {})
    if (!parsed.success) return conn.reply(m, 'error', { reason: 'Invalid join payload' })
    const cfg = parsed.data.config ?? {}
    const token = parsed.data.access_token && !parsed.data.access_token.startsWith('sb_') ? parsed.data.access_token : conn.apikey
    let claims: Claims
    try {
      claims = await claimsOf(token)
    } catch (e) {
      return conn.reply(m, 'error', { reason: (e as Error).message })
    }
    const isPrivate = cfg.private === true
    if (isPrivate && claims.role !== 'service_role') {
      return conn.reply(m, 'error', { reason: `You do not have permissions to read from this Channel topic: ${subTopic(m.topic)}` })
    }
    // Joining a topic twice replaces the earlier channel (Phoenix does the same).
    const prev = conn.channels.get(m.topic)
    if (prev) closeChannel(prev, true)

    const requested = cfg.postgres_changes ?? []
    const since = Date.now()
    const bindings: Binding[] = []
    const replyList: Record<string, unknown>[] = []
    let subscribeError: string | null = null
    for (const p of requested) {
      const id = bindingHash(p)
      const entry: Record<string, unknown> = { event: p.event, schema: p.schema, ...(p.table !== undefined ? { table: p.table } : {}), ...(p.filter !== undefined ? { filter: p.filter } : {}), id }
      replyList.push(entry)
      const event = p.event.toUpperCase()
      try {
        if (!['*', 'INSERT', 'UPDATE', 'DELETE'].includes(event)) throw new FilterError(`invalid event "${p.event}"`)
        bindings.push({ id, event, schema: p.schema, table: p.table, filter: parseFilter(p.filter), since })
      } catch (e) {
        subscribeError = (e as Error).message
      }
    }
    if (requested.length && !subscribeError) {
      // Postgres down or restarting: refuse the join; realtime-js rejoins by itself (1 s, 2 s, 5 s, then every 10 s).
      if (ctx.db.down) return conn.reply(m, 'error', { reason: DB_UNREACHABLE })
      let pub: { schema: string; table: string }[]
      try {
        pub = await publicationTables()
      } catch (e) {
        if (!dbFailure(e)) throw e
        ctx.db.failed(e)
        return conn.reply(m, 'error', { reason: DB_UNREACHABLE })
      }
      const missing = bindings.filter((b) => !pub.some((t) => (b.schema === '*' || t.schema === b.schema) && (!b.table || b.table === '*' || t.table === b.table)))
      if (missing.length) subscribeError = 'no table in the publication matches'
    }
    const wait = (cfg as { postgres_changes_options?: { wait?: boolean } }).postgres_changes_options?.wait === true
    const failMessage = `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${requested
      .map((p) => `event: ${p.event}, schema: ${p.schema}, table: ${p.table ?? '*'}, filters: [${p.filter ?? ''}]`)
      .join(', ')}]`
    if (subscribeError && wait) return conn.reply(m, 'error', { reason: `RealtimeDisabledForConfiguration: ${failMessage}` })

    const presenceCfg = cfg.presence ?? {}
    const ch = new Channel(
      conn,
      m.topic,
      m.joinRef ?? m.ref,
      claims,
      cfg.broadcast?.self === true,
      cfg.broadcast?.ack === true,
      presenceCfg.key ? presenceCfg.key : randomUUID(),
      presenceCfg.enabled === true,
      isPrivate,
    )
    conn.channels.set(m.topic, ch)
    let set = topics.get(m.topic)
    if (!set) topics.set(m.topic, (set = new Set()))
    set.add(ch)
    scheduleExpiry(ch)

    let streaming = true
    if (bindings.length && !subscribeError) {
      streaming = await replication.ready(5000)
      if (!streaming) {
        // No replication stream (Postgres restarting): a subscription now could not keep its promise.
        if (conn.channels.get(m.topic) !== ch) return
        closeChannel(ch, false)
        return conn.reply(m, 'error', { reason: DB_UNREACHABLE })
      }
      // The subscription is live before the client hears `ok`: a change committed after the reply is delivered.
      ch.bindings = bindings
      channelsWithChanges.add(ch)
    }
    if (conn.channels.get(m.topic) !== ch) return // left or closed while waiting
    conn.reply(m, 'ok', { postgres_changes: replyList })
    if (ch.presenceEnabled) ch.push('presence_state', presenceState(m.topic))
    if (requested.length) {
      const ok = !subscribeError && streaming
      ch.push('system', {
        channel: subTopic(m.topic),
        extension: 'postgres_changes',
        status: ok ? 'ok' : 'error',
        message: ok ? 'Subscribed to PostgreSQL' : failMessage,
      })
    }
    if (cfg.broadcast?.replication_ready) {
      ch.push('system', {
        channel: subTopic(m.topic),
        extension: 'system',
        status: streaming ? 'ok' : 'error',
        message: streaming ? 'Replication connection established' : 'Replication connection is not ready',
      })
    }
  }

  function fanOut(topic: string, b: BroadcastBody, opts: { sender?: Channel; isPrivate?: boolean }): number {
    let n = 0
    let bin: Buffer | undefined
    for (const ch of topics.get(topic) ?? []) {
      if (ch === opts.sender && !ch.self) continue
      if (opts.isPrivate !== undefined && ch.isPrivate !== opts.isPrivate) continue
      if (ch.conn.vsn === '2.0.0') {
        bin ??= encodeBinaryBroadcast(topic, b)
        ch.conn.sendRaw(bin)
      } else {
        const payload = b.binary ? Array.from(b.payload as Buffer) : b.payload
        ch.push('broadcast', { type: 'broadcast', event: b.event, payload, ...(b.meta !== undefined ? { meta: b.meta } : {}) })
      }
      n++
    }
    return n
  }

  async function onMessage(conn: Conn, m: Message & { broadcast?: BroadcastBody }): Promise<void> {
    if (m.topic === 'phoenix') {
      if (m.event === 'heartbeat') return conn.reply(m, 'ok', {})
      return conn.reply(m, 'error', { reason: 'unmatched topic' })
    }
    if (m.event === 'phx_join') return join(conn, m)
    const ch = conn.channels.get(m.topic)
    if (!ch) return conn.reply(m, 'error', { reason: 'unmatched topic' })
    switch (m.event) {
      case 'phx_leave':
        conn.reply(m, 'ok', {})
        closeChannel(ch, true)
        return
      case 'access_token': {
        const p = accessTokenPayload.safeParse(m.payload)
        const token = p.success ? p.data.access_token : undefined
        if (!token || token.startsWith('sb_')) return
        try {
          const claims = await claimsOf(token)
          ch.setClaims(claims)
          scheduleExpiry(ch)
        } catch (e) {
          ch.push('system', { extension: 'system', status: 'error', message: (e as Error).message, channel: subTopic(ch.topic) })
          closeChannel(ch, true)
        }
        return
      }
      case 'broadcast': {
        let body = m.broadcast
        if (!body) {
          const p = broadcastPayload.safeParse(m.payload)
          if (!p.success) return conn.reply(m, 'error', { reason: 'Invalid broadcast payload' })
          body = { event: p.data.event, payload: p.data.payload, binary: false }
        }
        fanOut(ch.topic, body, { sender: ch })
        if (ch.ack && m.ref) conn.reply(m, 'ok', {})
        return
      }
      case 'presence': {
        const p = presencePayload.safeParse(m.payload)
        if (!p.success) return conn.reply(m, 'error', { reason: 'Invalid presence payload' })
        if (p.data.event === 'track') track(ch, p.data.payload ?? {})
        else untrack(ch)
        return conn.reply(m, 'ok', {})
      }
      default:
        return conn.reply(m, 'error', { reason: `unknown event "${m.event}"` })
    }
  }

  function onConnection(ws: WebSocket, vsn: Vsn, apikey: string): void {
    const conn = new Conn(ws, vsn, apikey)
    conns.add(conn)
    // Messages of one socket are handled in order, even when a join waits on the database.
    let chain = Promise.resolve()
    ws.on('message', (data, isBinary) => {
      chain = chain.then(async () => {
        let m: Message & { broadcast?: BroadcastBody }
        try {
          m = isBinary ? decodeBinary(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])) : decodeText(vsn, data.toString())
        } catch (e) {
          if (e instanceof ProtocolError) {
            log({ level: 'warn', service: 'realtime', message: 'dropped a malformed frame', error: e.message })
            return
          }
          throw e
        }
        try {
          await onMessage(conn, m)
        } catch (e) {
          log({ level: 'error', service: 'realtime', message: 'message handling failed', error: String((e as Error).stack ?? e) })
          conn.reply(m, 'error', { reason: 'Internal server error' })
        }
      })
    })
    ws.on('pong', () => (conn.alive = true))
    ws.on('error', () => {})
    ws.on('close', () => {
      conns.delete(conn)
      for (const ch of [...conn.channels.values()]) closeChannel(ch, false)
    })
  }

  // ---------------------------------------------------------------- REST broadcast

  async function restClaims(req: IncomingMessage): Promise<Claims | null> {
    const token = bearer(req) ?? (req.headers.apikey as string | undefined)
    if (!token) return null
    try {
      return await claimsOf(translateKey(token))
    } catch {
      return null
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/websocket') return sendJson(res, 400, { message: 'WebSocket upgrade required' })
    if (req.method !== 'POST' || !path.startsWith('/api/broadcast')) return sendJson(res, 404, { message: 'Not found' })
    const claims = await restClaims(req)
    if (!claims) return sendJson(res, 401, { message: 'The token provided is not a valid JWT' })
    let raw: Buffer
    try {
      raw = await readBody(req, 4 * 1024 * 1024)
    } catch (e) {
      if (e instanceof BodyTooLarge) return sendJson(res, 413, { message: 'Payload too large' })
      throw e
    }
    const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path)
    if (single) {
      const topic = decodeURIComponent(single[1] ?? '')
      const event = decodeURIComponent(single[2] ?? '')
      const url = new URL(req.url ?? '/', 'http://localhost')
      const isPrivate = url.searchParams.get('private') === 'true'
      if (isPrivate && claims.role !== 'service_role') return sendJson(res, 403, { message: 'You do not have permissions to broadcast to this private channel' })
      const json = /json/i.test(String(req.headers['content-type'] ?? 'application/json'))
      let body: BroadcastBody
      try {
        body = json
          ? { event, payload: raw.length ? JSON.parse(raw.toString('utf8')) : {}, binary: false }
          : { event, payload: raw, binary: true }
      } catch {
        return sendJson(res, 400, { message: 'Body is not valid JSON' })
      }
      fanOut(`realtime:${topic}`, body, { isPrivate })
      res.writeHead(202)
      return void res.end()
    }
    if (path !== '/api/broadcast') return sendJson(res, 404, { message: 'Not found' })
    let parsed
    try {
      parsed = restBroadcast.safeParse(JSON.parse(raw.toString('utf8')))
    } catch {
      return sendJson(res, 400, { message: 'Body is not valid JSON' })
    }
    if (!parsed.success) return sendJson(res, 422, { message: 'Invalid broadcast body', errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) })
    if (parsed.data.messages.some((msg) => msg.private) && claims.role !== 'service_role') {
      return sendJson(res, 403, { message: 'You do not have permissions to broadcast to this private channel' })
    }
    for (const msg of parsed.data.messages) {
      fanOut(`realtime:${msg.topic}`, { event: msg.event, payload: msg.payload ?? {}, binary: false }, { isPrivate: msg.private === true })
    }
    res.writeHead(202)
    res.end()
  }

  // ---------------------------------------------------------------- upgrade

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, url: URL): void {
    const reject = (status: number, message: string) => {
      const body = JSON.stringify({ message })
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    }
    if (path !== '/websocket' && path !== '/websocket/') return reject(404, 'Not found')
    const vsn: Vsn = url.searchParams.get('vsn') === '2.0.0' ? '2.0.0' : '1.0.0'
    const key = url.searchParams.get('apikey') ?? (req.headers.apikey as string | undefined) ?? bearer(req)
    if (!key) return reject(401, 'The token provided is not a valid JWT')
    const apikey = translateKey(key)
    ctx.verifyJwt(apikey).then(
      () => wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, vsn, apikey)),
      () => reject(401, 'The token provided is not a valid JWT'),
    )
  }

  return {
    handle,
    upgrade,
    async close() {
      for (const c of conns) c.ws.terminate()
      wss.close()
      await replication.stop()
      await changesDb.end({ timeout: 1 }).catch(() => {})
    },
  }
}

function decodeExp(token: string): number | undefined {
  try {
    const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    return typeof body.exp === 'number' ? body.exp : undefined
  } catch {
    return undefined
  }
}

export { TokenError, ProtocolError }
