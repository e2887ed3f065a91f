/**
 * `/rest/v1`: a PostgREST stand-in for the local gateway (supabase-contract.md §1).
 * Each request is one transaction on the `authenticator` pool, switched to the
 * JWT's role with the request GUCs PostgREST sets, so RLS decides.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  dbFailure, POOL_TIMEOUT, releaseUnlessLost, reserveWithin, settleOrLose, type GatewayContext, type GatewayModule,
} from '../context.ts'
import { bearer, BodyTooLarge, readBody } from '../http.ts'
import {
  Aliases, buildTree, lookupTable, nodeAt, orderSql, Params, qi, qname, selectSql, tableSource, whereSql,
  limitSql, type Node, type Source,
} from './build.ts'
import { ApiError, closest, fromPgError, isPgError, parseError, schemaUnavailable, unavailable } from './errors.ts'
import {
  parseField, parseFilterValue, parseLogic, parseOrder, parsePrefer, parseSelect,
  type Filter, type Logic, type OrderTerm, type Prefer, type SelectItem,
} from './parse.ts'
import { key, SchemaStore, type Fn, type SchemaCache, type Table } from './schema.ts'

/** db-max-rows of the Supabase CLI. */
export const MAX_ROWS = 1000

/** PostgREST's db-pool-acquisition-timeout (10 s): past it, 504 PGRST003. */
const POOL_ACQUISITION_TIMEOUT_MS = 10_000

interface Stmt {
  text: string
  params: string[]
}

type Row = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

interface Media {
  kind: 'json' | 'object' | 'csv' | 'openapi'
  stripNulls: boolean
}

interface Auth {
  role: string
  claims: Record<string, unknown>
  claimsJson: string
}

interface Query {
  select: SelectItem[]
  filters: { path: string[]; f: Filter | Logic }[]
  orders: { path: string[]; terms: OrderTerm[] }[]
  limits: { path: string[]; n: number }[]
  offsets: { path: string[]; n: number }[]
  columns?: string[]
  onConflict?: string[]
  hasSelect: boolean
}

interface Reply {
  status: number
  body?: string
  headers: Record<string, string>
}

const RESERVED = new Set(['select', 'columns', 'on_conflict'])

function negotiate(accept: string | undefined): Media {
  if (!accept || accept.trim() === '') return { kind: 'json', stripNulls: false }
  for (const part of accept.split(',')) {
    const [type0, ...ps] = part.split(';').map((x) => x.trim())
    const type = type0.toLowerCase()
    const stripNulls = ps.some((p) => p.replace(/\s/g, '').toLowerCase() === 'nulls=stripped')
    if (type === '*/*' || type === 'application/json' || type === 'application/*' || type === 'application/vnd.pgrst.array+json' || type === 'application/vnd.pgrst.array') {
      return { kind: 'json', stripNulls }
    }
    if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object') return { kind: 'object', stripNulls }
    if (type === 'text/csv') return { kind: 'csv', stripNulls: false }
    if (type === 'application/openapi+json') return { kind: 'openapi', stripNulls: false }
  }
  throw new ApiError(406, 'PGRST107', `None of these media types are available: ${accept}`)
}

/**
 * Verified tokens, so a token is HMAC-checked once: keyed by the whole token
 * (signature included), each entry keeps the resolved role and claims JSON and
 * is dropped at `exp`. A changed signature is a different key, so forged or
 * altered tokens are always verified.
 */
const verified = new Map<string, Auth & { exp?: number }>()
const VERIFIED_MAX = 2000
const ANON: Auth = { role: 'anon', claims: { role: 'anon' }, claimsJson: '{"role":"anon"}' }

async function authenticate(ctx: GatewayContext, req: IncomingMessage): Promise<Auth> {
  const token = bearer(req)
  if (!token) return ANON
  const hit = verified.get(token)
  if (hit) {
    if (hit.exp === undefined || hit.exp > Date.now() / 1000) return hit
    verified.delete(token)
  }
  const fail = (code: string, message: string) =>
    new ApiError(401, code, message, null, null, {
      'www-authenticate': `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
    })
  const parts = token.split('.')
  if (parts.length !== 3) throw fail('PGRST301', `Expected 3 parts in JWT; got ${parts.length}`)
  let payload: Record<string, unknown>
  try {
    payload = (await ctx.verifyJwt(token)) as Record<string, unknown>
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'ERR_JWT_EXPIRED') throw fail('PGRST303', 'JWT expired')
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = (e as { claim?: string }).claim
      throw fail('PGRST303', claim === 'nbf' ? 'JWT not before' : claim === 'iat' ? 'JWT issued at future' : 'JWT claims validation failed')
    }
    if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED') throw fail('PGRST301', 'Wrong or unsupported encoding algorithm')
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw fail('PGRST301', 'JWT cryptographic operation failed')
    throw fail('PGRST301', 'JWT could not be decoded')
  }
  const role = typeof payload.role === 'string' && payload.role !== '' ? payload.role : 'anon'
  const claims = { ...payload, role }
  const auth = { role, claims, claimsJson: JSON.stringify(claims), exp: typeof payload.exp === 'number' ? payload.exp : undefined }
  // A token with `nbf` in the future is refused by verifyJwt, so only verified-now tokens are kept.
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
  verified.set(token, auth)
  return auth
}

/**
 * A `limit`/`offset` value: a non-negative integer (up to 2^53 − 1). A negative one is
 * PostgREST's 416 PGRST103; anything else (decimals, signs, spaces, SQL) is 400 PGRST100.
 */
function parsePage(v: string, kind: 'limit' | 'offset'): number {
  if (/^-\d+$/.test(v)) {
    throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable',
      kind === 'limit' ? 'Limit should be greater than or equal to zero.' : 'Offset should be greater than or equal to zero.')
  }
  const n = Number(v)
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw parseError(`failed to parse ${kind} (${v})`, `${kind} must be a non-negative integer no larger than ${Number.MAX_SAFE_INTEGER}`)
  }
  return n
}

const isPageKey = (k: string) => {
  const last = classify(k).last
  return last === 'limit' || last === 'offset'
}

/**
 * The query string without the values of `limit`/`offset` keys (their names stay: which
 * of them are present shapes the SQL). Reads that differ only by page share a compiled read.
 */
function pagelessSearch(url: URL): string {
  if (!url.search.includes('limit=') && !url.search.includes('offset=')) return url.search
  const out = new URLSearchParams()
  for (const [k, v] of url.searchParams) out.append(k, isPageKey(k) ? '' : v)
  return out.toString()
}

/** Splits a key like `todos.tags.order` into an embed path and a last segment. */
function classify(k: string): { path: string[]; last: string; negated: boolean } {
  // JSON paths may hold dots in quoted keys only; split outside quotes and before any `->`.
  const arrow = k.indexOf('->')
  const head = arrow >= 0 ? k.slice(0, arrow) : k
  const tail = arrow >= 0 ? k.slice(arrow) : ''
  const segs = head.split('.')
  segs[segs.length - 1] += tail
  let negated = false
  if (segs.length >= 2 && segs[segs.length - 2] === 'not' && (segs[segs.length - 1] === 'or' || segs[segs.length - 1] === 'and')) {
    negated = true
    segs.splice(segs.length - 2, 1)
  }
  const last = segs.pop()!
  return { path: segs, last, negated }
}

function parseQuery(url: URL, skip: Set<string> = new Set()): Query {
  const q: Query = { select: [{ kind: 'star' }], filters: [], orders: [], limits: [], offsets: [], hasSelect: false }
  for (const [k, v] of url.searchParams) {
    if (skip.has(k)) continue
    if (k === 'select') {
      q.select = parseSelect(v)
      q.hasSelect = true
      continue
    }
    if (k === 'columns') {
      q.columns = v.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean)
      continue
    }
    if (k === 'on_conflict') {
      q.onConflict = v.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean)
      continue
    }
    const { path, last, negated } = classify(k)
    if (last === 'order') q.orders.push({ path, terms: parseOrder(v) })
    else if (last === 'limit') q.limits.push({ path, n: parsePage(v, 'limit') })
    else if (last === 'offset') q.offsets.push({ path, n: parsePage(v, 'offset') })
    else if (last === 'or' || last === 'and') q.filters.push({ path, f: parseLogic(last, negated, v) })
    else q.filters.push({ path, f: parseFilterValue(parseField(last, 'filter'), v) })
  }
  return q
}

/** Puts filters, orders and limits on the nodes of the tree. */
function attach(root: Node, q: Query): void {
  for (const { path, f } of q.filters) {
    const n = nodeAt(root, path)
    if (f.kind === 'filter' && f.field.path.length === 0) {
      const emb = n.embeds.find((e) => e.outName === f.field.name) ?? n.embeds.find((e) => e.name === f.field.name && !n.source.columns.has(f.field.name))
      if (emb) {
        if (f.op !== 'is' || f.value !== 'null') {
          throw new ApiError(400, 'PGRST120', 'Only is null or not is null filters are allowed on embedded resources')
        }
        emb.nullFilter = f.negate ? 'not_null' : 'null'
        continue
      }
    }
    n.filters.push(f)
  }
  for (const { path, terms } of q.orders) nodeAt(root, path).order.push(...terms)
  for (const { path, n } of q.limits) nodeAt(root, path).limit = n
  for (const { path, n } of q.offsets) nodeAt(root, path).offset = n
}

/**
 * The values for a compiled read's limit/offset parameters on this request: from its
 * `limit`/`offset` keys (validated as on a first compile) and, for the root when it has
 * neither, the Range header. Returns the statement's parameters and the root offset, or
 * undefined when the compiled read does not fit (then it is compiled afresh).
 */
function bindPage(c: CompiledRead, url: URL, req: IncomingMessage): { params: string[]; offset: number } | undefined {
  const given = new Map<Node, { limit?: number; offset?: number }>()
  for (const [k, v] of url.searchParams) {
    const { path, last } = classify(k)
    if (last !== 'limit' && last !== 'offset') continue
    const n = parsePage(v, last)
    const node = nodeAt(c.root, path)
    const g = given.get(node) ?? {}
    g[last] = n
    given.set(node, g)
  }
  const range = rangeHeader(req)
  const top = given.get(c.root) ?? {}
  if (top.limit === undefined && top.offset === undefined && range) given.set(c.root, { ...range })
  const params = c.stmt.params.slice()
  let offset = 0
  for (const slot of c.page) {
    if (!slot.node) return undefined
    const g = given.get(slot.node) ?? {}
    let v = g[slot.kind]
    if (slot.node === c.root) {
      v = slot.kind === 'limit' ? Math.min(v ?? MAX_ROWS, MAX_ROWS) : v ?? 0
      if (slot.kind === 'offset') offset = v
    }
    if (v === undefined) return undefined
    params[slot.index] = String(v)
  }
  return { params, offset }
}

/** The Range header (`Range: 0-9`), used when no limit/offset is given. */
function rangeHeader(req: IncomingMessage): { offset: number; limit?: number } | undefined {
  const h = req.headers.range
  if (!h) return undefined
  const m = /^(?:items=)?\s*(\d+)-(\d*)$/.exec(h.trim())
  if (!m) return undefined
  const from = Number(m[1])
  if (m[2] === '') return { offset: from }
  const to = Number(m[2])
  if (to < from) throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', 'The lower boundary must be lower than or equal to the upper boundary in the Range header.')
  return { offset: from, limit: to - from + 1 }
}

function contentRange(offset: number, n: number, total: number | undefined): string {
  const t = total === undefined ? '*' : String(total)
  return n === 0 ? `*/${t}` : `${offset}-${offset + n - 1}/${t}`
}

/** PostgREST's rangeStatus: 416 past the end, 206 for a partial page, else 200. */
function rangeStatus(offset: number, n: number, total: number | undefined): number {
  if (total === undefined) return 200
  if (offset > total) return 416
  const upper = offset + n - 1
  return 1 + upper - offset < total ? 206 : 200
}

function toCsv(json: string, names: string[]): string {
  const rows = JSON.parse(json) as Record<string, unknown>[]
  const cols = rows.length ? Object.keys(rows[0]) : names
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return ''
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [cols.map(cell).join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n')
}

function preferenceApplied(p: Prefer, method: string): string | undefined {
  const out: string[] = []
  if (p.return && method !== 'GET' && method !== 'HEAD') out.push(`return=${p.return}`)
  if (p.count) out.push(`count=${p.count}`)
  if (p.resolution && method === 'POST') out.push(`resolution=${p.resolution}`)
  if (p.missing === 'default') out.push('missing=default')
  if (p.handling) out.push(`handling=${p.handling}`)
  if (p.maxAffected !== undefined && p.handling === 'strict') out.push(`max-affected=${p.maxAffected}`)
  return out.length ? out.join(', ') : undefined
}

/** A table read compiled to SQL: what a repeated request needs to run again. */
interface CompiledRead {
  stmt: Stmt
  /** The tree it was compiled from, and its limit/offset parameters (see bindPage). */
  root: Node
  page: Params['page']
  names: string[]
  offset: number
  counted: boolean
  readOnly: boolean
  singleComposite: boolean
}

/** Compiled reads kept per schema cache (a reload starts afresh). */
const COMPILED_MAX = 1000

export function createRest(ctx: GatewayContext): GatewayModule {
  const schemaStore = new SchemaStore(ctx.admin, ctx.cfg.exposedSchemas, ctx.log)
  /** The schema cache; a load that fails on the connection is PGRST002 (503). */
  const onSchemaFailure = (e: unknown): never => {
    if (ctx.db.failed(e)) throw schemaUnavailable(e)
    throw e
  }
  const store = {
    get: () => schemaStore.get().catch(onSchemaFailure),
    reload: () => schemaStore.reload().catch(onSchemaFailure),
    close: () => schemaStore.close(),
  }
  const compiled = new WeakMap<SchemaCache, Map<string, CompiledRead>>()
  const compiledReads = (cache: SchemaCache) => {
    let m = compiled.get(cache)
    if (!m) compiled.set(cache, (m = new Map()))
    return m
  }
  /** The setup statement's text per schema cache and role (its role settings are part of it). */
  const setupTexts = new WeakMap<SchemaCache, Map<string, { text: string; extra: string[] }>>()

  /** Looks a name up; on a miss reloads the cache once (rate-limited), then retries. */
  async function withFreshCache<T>(fn: (c: SchemaCache) => T): Promise<T> {
    const cache = await store.get()
    try {
      return fn(cache)
    } catch (e) {
      if (e instanceof ApiError && ['PGRST205', 'PGRST202', 'PGRST200'].includes(e.code) && Date.now() - cache.loadedAt > 1000) {
        return fn(await store.reload())
      }
      throw e
    }
  }

  function setupSql(auth: Auth, req: IncomingMessage, schema: string, path: string, cache: SchemaCache): Stmt {
    let byRole = setupTexts.get(cache)
    if (!byRole) setupTexts.set(cache, (byRole = new Map()))
    let t = byRole.get(auth.role)
    if (!t) {
      const extra: string[] = []
      const calls = [
        `set_config('search_path', $1::text, true)`,
        `set_config('role', $2::text, true)`,
        `set_config('request.jwt.claims', $3::text, true)`,
        `set_config('request.method', $4::text, true)`,
        `set_config('request.path', $5::text, true)`,
        `set_config('request.headers', $6::text, true)`,
        `set_config('request.cookies', $7::text, true)`,
      ]
      for (const [k, v] of cache.roleSettings.get(auth.role) ?? []) {
        if (k === 'search_path' || k === 'session_preload_libraries') continue
        extra.push(k, v)
        calls.push(`set_config($${6 + extra.length}::text, $${7 + extra.length}::text, true)`)
      }
      byRole.set(auth.role, (t = { text: `select ${calls.join(', ')}`, extra }))
    }
    // Node already lower-cases header names; only set-cookie can be an array.
    let headers: Record<string, string | string[] | undefined> = req.headers
    if (Array.isArray(req.headers['set-cookie'])) headers = { ...req.headers, 'set-cookie': req.headers['set-cookie'].join(', ') }
    let cookies = '{}'
    if (req.headers.cookie) {
      const jar: Record<string, string> = {}
      for (const c of req.headers.cookie.split(';')) {
        const i = c.indexOf('=')
        if (i > 0) {
          const v = c.slice(i + 1).trim()
          try {
            jar[c.slice(0, i).trim()] = decodeURIComponent(v)
          } catch {
            jar[c.slice(0, i).trim()] = v
          }
        }
      }
      cookies = JSON.stringify(jar)
    }
    const searchPath = schema === 'public' ? '"public", "extensions"' : `${qi(schema)}, "public", "extensions"`
    return {
      text: t.text,
      params: [searchPath, auth.role, auth.claimsJson, req.method ?? 'GET', path, JSON.stringify(headers), cookies, ...t.extra],
    }
  }

  /**
   * Runs one request as one transaction on a reserved `authenticator`
   * connection, pipelined: `begin`, the role/claims setup, the statements and
   * `commit` leave in one write and come back in one round trip. Statements are
   * prepared per connection (postgres.js caches them by text), so a repeated
   * request shape is neither re-parsed nor re-planned by Postgres; plans that
   * depend on RLS are re-planned by Postgres when the role changes.
   * When `check` is given, it sees the results before the transaction ends and
   * may throw to roll it back (PGRST116 on writes, max-affected).
   */
  async function exec(
    readOnly: boolean, setup: Stmt, stmts: Stmt[],
    opts: { check?: (results: Row[][]) => void; rollback?: boolean } = {},
  ): Promise<Row[][]> {
    let c: Awaited<ReturnType<typeof ctx.api.reserve>>
    try {
      c = await reserveWithin(ctx.api, POOL_ACQUISITION_TIMEOUT_MS)
    } catch (e) {
      if ((e as { code?: string }).code === POOL_TIMEOUT) throw new ApiError(504, 'PGRST003', 'Timed out acquiring connection from connection pool.')
      ctx.db.failed(e)
      throw e
    }
    let ended = false
    let lost: unknown
    /** Awaits statements on `c`; a dead connection ends the request with its error, nothing more is sent. */
    const settle = async <T,>(qs: Promise<T>[]): Promise<PromiseSettledResult<T>[]> => {
      const r = await settleOrLose(qs)
      if (!Array.isArray(r)) {
        lost = r.lost
        ended = true
        ctx.db.failed(lost)
        throw lost
      }
      return r
    }
    try {
      const send = (s: Stmt | string) => {
        const q = typeof s === 'string' ? c.unsafe(s) : c.unsafe(s.text, s.params, { prepare: true, simple: false })
        q.execute()
        return q as unknown as Promise<Row[]>
      }
      const end = opts.rollback ? 'rollback' : 'commit'
      const sent = [send(readOnly ? 'begin read only' : 'begin'), send(setup), ...stmts.map(send)]
      const ending = opts.check ? undefined : send(end)
      const settled = await settle(ending ? [...sent, ending] : sent)
      const failed = settled.slice(0, sent.length).find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
      if (failed) {
        // A failed statement aborts the transaction: the pipelined `commit` rolls it back.
        if (!ending) await settle([send('rollback')])
        ended = true
        throw failed.reason
      }
      const results = settled.slice(2, sent.length).map((r) => (r as PromiseFulfilledResult<Row[]>).value)
      if (ending) {
        ended = true
        // The commit itself can fail (a deferred constraint): its error is the request's.
        const last = settled[sent.length]
        if (last.status === 'rejected') throw last.reason
      } else {
        try {
          opts.check!(results)
        } catch (e) {
          ended = true
          await settle([send('rollback')])
          throw e
        }
        ended = true
        const [r] = await settle([send(end)])
        if (r.status === 'rejected') throw r.reason
      }
      return results
    } finally {
      // Never hand back a connection inside a transaction: queued before release, this runs first.
      if (!ended && lost === undefined) c.unsafe('rollback').execute().catch(() => {})
      releaseUnlessLost(c, lost)
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<Reply> {
    // Postgres known to be unreachable: answer at once rather than queue on a pool that can only fail.
    if (ctx.db.down) throw unavailable('connect', ctx.db.down.error)
    const method = (req.method ?? 'GET').toUpperCase()
    const read = method === 'GET' || method === 'HEAD'
    const profileHeader = (read ? req.headers['accept-profile'] : req.headers['content-profile']) as string | undefined
    const schemas = ctx.cfg.exposedSchemas
    const schema = profileHeader ?? schemas[0]
    if (!schemas.includes(schema)) {
      throw new ApiError(406, 'PGRST106', `Invalid schema: ${schema}`, null, `Only the following schemas are exposed: ${schemas.join(', ')}`)
    }
    const auth = await authenticate(ctx, req)
    ;(res as ServerResponse & { role?: string }).role = auth.role
    const media = negotiate(req.headers.accept)
    const prefer = parsePrefer(req.headers.prefer)
    if (prefer.handling === 'strict' && prefer.invalid.length) {
      throw new ApiError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${prefer.invalid.join(', ')}`)
    }

    if (path === '/' || path === '') {
      if (!read) throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`)
      return openApi(await store.get(), schema, method)
    }
    const m = /^\/rpc\/([^/]+)$/.exec(path) ?? /^\/([^/]+)$/.exec(path)
    if (!m) throw new ApiError(404, 'PGRST125', `Invalid path specified in request URL`)
    const name = decodeURIComponent(m[1])
    const isRpc = path.startsWith('/rpc/')
    if (media.kind === 'openapi') throw new ApiError(406, 'PGRST107', `None of these media types are available: ${req.headers.accept}`)

    let body: unknown
    let bodyText = ''
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      let raw: Buffer
      try {
        raw = await readBody(req)
      } catch (e) {
        if (e instanceof BodyTooLarge) throw new ApiError(413, 'PGRST102', 'Request body is too large')
        throw e
      }
      bodyText = raw.toString('utf8')
      if (bodyText.trim() === '') body = isRpc ? {} : undefined
      else {
        try {
          body = JSON.parse(bodyText)
        } catch {
          throw new ApiError(400, 'PGRST102', 'Empty or invalid json')
        }
      }
    }

    if (isRpc) {
      if (!['GET', 'HEAD', 'POST'].includes(method)) throw new ApiError(405, 'PGRST101', 'Only GET, HEAD or POST is allowed for RPC')
      const cache = await store.get()
      const fns0 = await withFreshCache((c) => c.fns.get(key(schema, name)) ?? [])
      const argNames = new Set(fns0.flatMap((f) => f.inArgs.map((a) => a.name)))
      let args: Record<string, unknown> = {}
      if (read) {
        for (const [k, v] of url.searchParams) if (argNames.has(k)) args[k] = v
      } else {
        if (body === null || typeof body !== 'object') throw new ApiError(400, 'PGRST102', 'Empty or invalid json')
        args = body as Record<string, unknown>
      }
      const fn = await withFreshCache((c) => chooseFunction(c, schema, name, args, Array.isArray(body)))
      const q = parseQuery(url, read ? new Set(Object.keys(args)) : new Set())
      return rpc(cache, auth, req, schema, path, fn, args, bodyText, q, media, prefer, method)
    }

    const cache = await store.get()
    // A table read already compiled for this exact URL and these headers: no parsing, no SQL building.
    // limit/offset are parameters: every page of a read (query string or Range header) shares one entry.
    const readKey = read ? `${schema}\u0000${path}\u0000${pagelessSearch(url)}\u0000${req.headers.accept ?? ''}\u0000${req.headers.prefer ?? ''}` : undefined
    if (readKey) {
      const hit = compiledReads(cache).get(readKey)
      const page = hit && bindPage(hit, url, req)
      if (hit && page) return runRead(cache, auth, req, schema, path, { ...hit, stmt: { text: hit.stmt.text, params: page.params }, offset: page.offset }, media, prefer, method)
    }
    const table = await withFreshCache((c) => lookupTable(c, schema, name))
    const q = parseQuery(url)
    const cacheNow = cache.tables.has(key(schema, name)) ? cache : await store.get()
    switch (method) {
      case 'GET':
      case 'HEAD': {
        const aliases = new Aliases()
        const root = buildTree(cacheNow, tableSource(table), q.select, aliases)
        attach(root, q)
        const range = rangeHeader(req)
        if (root.limit === undefined && root.offset === undefined && range) {
          root.offset = range.offset
          root.limit = range.limit
        }
        const compiled = compileRead(root, `${qname(table.schema, table.name)} ${root.alias}`, media, prefer, true)
        const memo = compiledReads(cacheNow)
        if (memo.size >= COMPILED_MAX) memo.delete(memo.keys().next().value!)
        memo.set(readKey!, compiled)
        return runRead(cacheNow, auth, req, schema, path, compiled, media, prefer, method)
      }
      case 'POST':
        return insert(cacheNow, auth, req, schema, path, table, q, media, prefer, body)
      case 'PATCH':
        return update(cacheNow, auth, req, schema, path, table, q, media, prefer, body)
      case 'DELETE':
        return remove(cacheNow, auth, req, schema, path, table, q, media, prefer)
      case 'PUT':
        return put(cacheNow, auth, req, schema, path, table, q, media, prefer, body)
      default:
        throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`)
    }
  }

  function finishRead(row: { total: string | null; n: number; body: string }, media: Media, names: string[], offset: number, counted: boolean, method: string, prefer: Prefer, singleComposite = false): Reply {
    const n = Number(row.n)
    const total = counted ? Number(row.total) : undefined
    const headers: Record<string, string> = {}
    const applied = preferenceApplied(prefer, method)
    if (applied) headers['preference-applied'] = applied
    const status = rangeStatus(offset, n, total)
    if (status === 416) {
      throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', `An offset of ${offset} was requested, but there are only ${total} rows.`, null, { 'content-range': `*/${total}` })
    }
    headers['content-range'] = contentRange(offset, n, total)
    if (media.kind === 'object' || singleComposite) {
      if (n !== 1 && !singleComposite) {
        throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${n} rows`)
      }
      return { status: 200, body: n === 0 ? 'null' : row.body.slice(1, -1), headers: { ...headers, 'content-type': 'application/vnd.pgrst.object+json; charset=utf-8' } }
    }
    if (media.kind === 'csv') return { status, body: toCsv(row.body, names), headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' } }
    return { status, body: row.body, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } }
  }

  const bodyExpr = (media: Media) =>
    media.stripNulls ? `json_strip_nulls(coalesce(json_agg(_t), '[]'))::text` : `coalesce(json_agg(_t), '[]')::text`

  /** GET-style query over a FROM clause whose root alias is root.alias. */
  async function selectAndRun(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, root: Node, from: string, _q: Query, media: Media, prefer: Prefer, method: string, readOnly: boolean, params = new Params(), singleComposite = false): Promise<Reply> {
    return runRead(cache, auth, req, schema, path, compileRead(root, from, media, prefer, readOnly, params, singleComposite), media, prefer, method)
  }

  function compileRead(root: Node, from: string, media: Media, prefer: Prefer, readOnly: boolean, params = new Params(), singleComposite = false): CompiledRead {
    const aliases = new Aliases()
    aliases.n = 1000
    const sel = selectSql(root, params, aliases)
    const where = whereSql(root, params, aliases)
    const order = orderSql(root, params, aliases)
    const whereText = where.length ? ` where ${where.join(' and ')}` : ''
    const offset = root.offset ?? 0
    const limit = Math.min(root.limit ?? MAX_ROWS, MAX_ROWS)
    const counted = !!prefer.count
    const inner = `select ${sel.cols.join(', ')} from ${from} ${sel.laterals.join(' ')}${whereText}${order ? ` order by ${order}` : ''}${limitSql(params, root, limit, offset)}`
    const total = counted ? `(select count(*) from ${from}${whereText})::text` : 'null::text'
    const text = `select ${total} as total, count(_t)::int as n, ${bodyExpr(media)} as body from (${inner}) _t`
    return { stmt: { text, params: params.values }, root, page: params.page, names: sel.names, offset, counted, readOnly, singleComposite }
  }

  async function runRead(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, c: CompiledRead, media: Media, prefer: Prefer, method: string): Promise<Reply> {
    const setup = setupSql(auth, req, schema, path, cache)
    const [[row]] = await exec(c.readOnly, setup, [c.stmt])
    const reply = finishRead(row as never, media, c.names, c.offset, c.counted, method, prefer, c.singleComposite)
    if (method === 'HEAD') reply.body = undefined
    return reply
  }

  function checkColumns(table: Table, cols: string[]): void {
    for (const c of cols) {
      if (!table.columns.has(c)) throw new ApiError(400, 'PGRST204', `Could not find the '${c}' column of '${table.name}' in the schema cache`)
    }
  }

  /** Runs a mutation; `stmt(returning)` is the statement, aliased t0. */
  async function mutate(
    cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, table: Table, q: Query, media: Media,
    prefer: Prefer, params: Params, stmts: ((returning: string) => string)[], root: Node, kind: 'insert' | 'update' | 'delete',
  ): Promise<Reply> {
    const wantRows = prefer.return === 'representation' || media.kind === 'object' || media.kind === 'csv'
    const headersOnly = prefer.return === 'headers-only' && kind === 'insert'
    const setup = setupSql(auth, req, schema, path, cache)
    const headers: Record<string, string> = {}
    const applied = preferenceApplied(prefer, 'POST')
    if (applied) headers['preference-applied'] = applied
    const counted = !!prefer.count
    const mayFail = media.kind === 'object' || (prefer.handling === 'strict' && prefer.maxAffected !== undefined && kind !== 'insert')
    const check = (n: number) => {
      if (prefer.handling === 'strict' && prefer.maxAffected !== undefined && n > prefer.maxAffected && kind !== 'insert') {
        throw new ApiError(400, 'PGRST124', 'Query result exceeds max-affected preference constraint', `The query affects ${n} rows`)
      }
      if (media.kind === 'object' && n !== 1) {
        throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${n} rows`)
      }
    }
    let n = 0
    let bodyOut: string | undefined
    let inserted = 0
    let location: string | undefined
    if (wantRows || headersOnly) {
      const aliases = new Aliases()
      aliases.n = 1000
      const returning = ` returning ${root.alias}.*${kind === 'insert' ? `, (${root.alias}.xmax = 0) as pgrst_inserted` : ''}`
      const ctes = stmts.map((s, i) => `pgrst_m${i} as (${s(returning)})`)
      const union = stmts.map((_, i) => `select * from pgrst_m${i}`).join(' union all ')
      let sel: { cols: string[]; laterals: string[]; names: string[] }
      if (headersOnly) {
        sel = { cols: table.pk.map((c) => `${root.alias}.${qi(c)}`), laterals: [], names: table.pk }
      } else sel = selectSql(root, params, aliases)
      const text = `with ${ctes.join(', ')}, pgrst_source as (${union}) ` +
        `select count(_t)::int as n, ${bodyExpr(media)} as body, ` +
        (kind === 'insert' ? `(select count(*) from pgrst_source where pgrst_inserted)::int` : '0') + ` as inserted ` +
        `from (select ${sel.cols.join(', ')} from pgrst_source ${root.alias} ${sel.laterals.join(' ')}) _t`
      const [[row]] = await exec(false, setup, [{ text, params: params.values }], mayFail ? { check: ([[r]]) => check(Number(r!.n)) } : {})
      n = Number(row.n)
      inserted = Number(row.inserted)
      if (headersOnly) {
        const rows = JSON.parse(row.body) as Record<string, unknown>[]
        if (rows.length && table.pk.length) location = `/${table.name}?${table.pk.map((c) => `${c}=eq.${encodeURIComponent(String(rows[0][c]))}`).join('&')}`
      } else if (media.kind === 'object') bodyOut = row.body.slice(1, -1)
      else if (media.kind === 'csv') bodyOut = toCsv(row.body, sel.names)
      else bodyOut = row.body
    } else {
      const sum = (rs: Row[][]) => rs.reduce((a, r) => a + (r as unknown as { count: number }).count, 0)
      n = sum(await exec(false, setup, stmts.map((s) => ({ text: s(''), params: params.values })), mayFail ? { check: (rs) => check(sum(rs)) } : {}))
    }
    const ctype = media.kind === 'object' ? 'application/vnd.pgrst.object+json; charset=utf-8' : media.kind === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8'
    if (bodyOut !== undefined) headers['content-type'] = ctype
    if (kind === 'insert') {
      headers['content-range'] = `*/${counted ? n : '*'}`
      if (location) headers.location = location
      const status = wantRows && prefer.resolution === 'merge-duplicates' && inserted === 0 && n > 0 ? 200 : 201
      return { status, body: bodyOut, headers }
    }
    if (kind === 'update') headers['content-range'] = n === 0 ? `*/${counted ? 0 : '*'}` : `0-${n - 1}/${counted ? n : '*'}`
    else headers['content-range'] = `*/${counted ? n : '*'}`
    return bodyOut !== undefined ? { status: 200, body: bodyOut, headers } : { status: 204, headers }
  }

  /**
   * PUT: PostgREST's single-row upsert. The filters must be exactly the primary
   * key columns with `eq` (else 405 PGRST105), no limit/offset (400 PGRST114),
   * and the body one row whose key values equal the URL's (400 PGRST115). It
   * runs as an INSERT … ON CONFLICT (pk) DO UPDATE of the given columns, so the
   * INSERT and UPDATE policies decide; 200 with a representation, else 204.
   */
  async function put(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, table: Table, q: Query, media: Media, prefer: Prefer, body: unknown): Promise<Reply> {
    const top = q.filters.filter((f) => f.path.length === 0)
    const pkFilters = new Map<string, string>()
    for (const { f } of top) {
      if (f.kind !== 'filter' || f.op !== 'eq' || f.negate || f.quantifier || f.field.path.length || !table.pk.includes(f.field.name) || pkFilters.has(f.field.name)) {
        pkFilters.clear()
        break
      }
      pkFilters.set(f.field.name, f.value)
    }
    if (!table.pk.length || pkFilters.size !== table.pk.length || top.length !== table.pk.length) {
      throw new ApiError(405, 'PGRST105', "Filters must include all and only primary key columns with 'eq' operators")
    }
    if (q.limits.some((l) => l.path.length === 0) || q.offsets.some((o) => o.path.length === 0) || req.headers.range) {
      throw new ApiError(400, 'PGRST114', 'limit/offset querystring parameters are not allowed for PUT')
    }
    const rows = Array.isArray(body) ? body : [body]
    if (rows.length !== 1 || rows[0] === null || typeof rows[0] !== 'object' || Array.isArray(rows[0])) {
      throw new ApiError(400, 'PGRST102', 'PUT takes exactly one row')
    }
    const row = rows[0] as Record<string, unknown>
    for (const [c, v] of pkFilters) {
      const given = row[c]
      if (given === undefined || given === null || (typeof given === 'object' ? JSON.stringify(given) : String(given)) !== v) {
        throw new ApiError(400, 'PGRST115', 'Payload values do not match URL in primary key column(s)')
      }
    }
    const reply = await insert(cache, auth, req, schema, path, table,
      { ...q, filters: q.filters.filter((f) => f.path.length > 0), onConflict: undefined },
      media, { ...prefer, resolution: 'merge-duplicates', missing: undefined }, row)
    const applied = preferenceApplied(prefer, 'PUT')
    if (applied) reply.headers['preference-applied'] = applied
    else delete reply.headers['preference-applied']
    delete reply.headers.location
    return reply.body !== undefined ? { ...reply, status: 200 } : { ...reply, status: 204 }
  }

  async function insert(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, table: Table, q: Query, media: Media, prefer: Prefer, body: unknown): Promise<Reply> {
    if (body === undefined || body === null || typeof body !== 'object') throw new ApiError(400, 'PGRST102', 'Empty or invalid json')
    const rows = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[]
    if (rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
      throw new ApiError(400, 'PGRST102', 'All object keys must match', null, null)
    }
    let cols: string[]
    if (q.columns) cols = q.columns
    else {
      const set = new Set<string>()
      for (const r of rows) for (const k of Object.keys(r)) set.add(k)
      cols = [...set]
    }
    checkColumns(table, cols)
    const conflict = q.onConflict ?? table.pk
    if (q.onConflict) checkColumns(table, q.onConflict)
    const aliases = new Aliases()
    const root = buildTree(cache, tableSource(table), q.select, aliases)
    attach(root, { ...q, filters: q.filters.filter((f) => f.path.length > 0) })
    const params = new Params()
    const tname = qname(table.schema, table.name)
    // missing=default: rows missing a key use the column default, so group rows by their key set.
    const groups: { cols: string[]; rows: Record<string, unknown>[] }[] = []
    if (prefer.missing === 'default') {
      const byKey = new Map<string, { cols: string[]; rows: Record<string, unknown>[] }>()
      for (const r of rows) {
        const present = cols.filter((c) => Object.prototype.hasOwnProperty.call(r, c))
        const k = present.join('\u0000')
        if (!byKey.has(k)) byKey.set(k, { cols: present, rows: [] })
        byKey.get(k)!.rows.push(r)
      }
      groups.push(...byKey.values())
    } else if (rows.length) groups.push({ cols, rows })
    const onConflict = (gcols: string[]) => {
      if (!prefer.resolution || conflict.length === 0) return ''
      const target = `(${conflict.map(qi).join(', ')})`
      if (prefer.resolution === 'ignore-duplicates' || gcols.length === 0) return ` on conflict ${target} do nothing`
      return ` on conflict ${target} do update set ${gcols.map((c) => `${qi(c)} = excluded.${qi(c)}`).join(', ')}`
    }
    const stmts: ((returning: string) => string)[] = []
    for (const g of groups) {
      if (g.cols.length === 0) {
        for (let i = 0; i < g.rows.length; i++) stmts.push((ret) => `insert into ${tname} as ${root.alias} default values${onConflict([])}${ret}`)
        continue
      }
      const data = params.add(JSON.stringify(g.rows.map((r) => Object.fromEntries(g.cols.map((c) => [c, r[c] ?? null])))))
      const list = g.cols.map(qi).join(', ')
      stmts.push((ret) => `insert into ${tname} as ${root.alias} (${list}) select ${list} from json_populate_recordset(null::${tname}, (${data})::json) _${onConflict(g.cols)}${ret}`)
    }
    if (stmts.length === 0) {
      // An empty array inserts nothing.
      if (prefer.return !== 'representation' && media.kind !== 'object') {
        return { status: 201, headers: { 'content-range': `*/${prefer.count ? 0 : '*'}` } }
      }
      return emptyResult(media, prefer, 201)
    }
    return mutate(cache, auth, req, schema, path, table, q, media, prefer, params, stmts, root, 'insert')
  }

  function emptyResult(media: Media, prefer: Prefer, status: number): Reply {
    if (media.kind === 'object') throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', 'The result contains 0 rows')
    const headers = { 'content-range': `*/${prefer.count ? 0 : '*'}` }
    if (prefer.return !== 'representation') return { status: status === 201 ? 201 : 204, headers }
    return { status: status === 201 ? 201 : 200, body: '[]', headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } }
  }

  async function update(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, table: Table, q: Query, media: Media, prefer: Prefer, body: unknown): Promise<Reply> {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'PGRST102', 'Empty or invalid json')
    const obj = body as Record<string, unknown>
    const cols = q.columns ?? Object.keys(obj)
    checkColumns(table, cols)
    const aliases = new Aliases()
    const root = buildTree(cache, tableSource(table), q.select, aliases)
    attach(root, q)
    const params = new Params()
    const where = whereSql(root, params, aliases)
    if (!where.length) throw new ApiError(400, '21000', 'UPDATE requires a WHERE clause')
    const tname = qname(table.schema, table.name)
    if (cols.length === 0) return emptyResult(media, prefer, 200)
    const data = params.add(JSON.stringify(Object.fromEntries(cols.map((c) => [c, obj[c] ?? null]))))
    const stmt = (ret: string) =>
      `update ${tname} as ${root.alias} set ${cols.map((c) => `${qi(c)} = _.${qi(c)}`).join(', ')} ` +
      `from (select * from json_populate_record(null::${tname}, (${data})::json)) _ where ${where.join(' and ')}${ret}`
    return mutate(cache, auth, req, schema, path, table, q, media, prefer, params, [stmt], root, 'update')
  }

  async function remove(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, table: Table, q: Query, media: Media, prefer: Prefer): Promise<Reply> {
    const aliases = new Aliases()
    const root = buildTree(cache, tableSource(table), q.select, aliases)
    attach(root, q)
    const params = new Params()
    const where = whereSql(root, params, aliases)
    if (!where.length) throw new ApiError(400, '21000', 'DELETE requires a WHERE clause')
    const tname = qname(table.schema, table.name)
    const stmt = (ret: string) => `delete from ${tname} as ${root.alias} where ${where.join(' and ')}${ret}`
    return mutate(cache, auth, req, schema, path, table, q, media, prefer, params, [stmt], root, 'delete')
  }

  function chooseFunction(cache: SchemaCache, schema: string, name: string, args: Record<string, unknown>, bulk: boolean): Fn & { jsonBody?: boolean } {
    const fns = cache.fns.get(key(schema, name)) ?? []
    const keys = bulk ? [] : Object.keys(args)
    const named = fns.filter((f) =>
      keys.every((k) => f.inArgs.some((a) => a.name === k)) &&
      f.inArgs.every((a) => a.hasDefault || keys.includes(a.name)) &&
      !(f.inArgs.length === 1 && f.inArgs[0].name === '' ))
    const jsonOne = fns.filter((f) => f.inArgs.length === 1 && f.inArgs[0].name === '' && ['json', 'jsonb'].includes(f.inArgs[0].type))
    const cands = named.length ? named : jsonOne.map((f) => ({ ...f, jsonBody: true }))
    if (cands.length === 1) return cands[0]
    const sig = keys.slice().sort().join(', ')
    if (cands.length > 1) {
      throw new ApiError(300, 'PGRST203', `Could not choose the best candidate function between: ${cands.map((f) => `${schema}.${name}(${f.inArgs.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
        null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved')
    }
    const all = [...cache.fns.values()].flat().filter((f) => f.schema === schema).map((f) => f.name)
    const near = fns.length ? undefined : closest(name, all)
    throw new ApiError(404, 'PGRST202',
      keys.length ? `Could not find the function ${schema}.${name}(${sig}) in the schema cache` : `Could not find the function ${schema}.${name} without parameters in the schema cache`,
      keys.length
        ? `Searched for the function ${schema}.${name} with parameters ${sig} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`
        : `Searched for the function ${schema}.${name} without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      near ? `Perhaps you meant to call the function ${schema}.${near}` : null)
  }

  async function rpc(cache: SchemaCache, auth: Auth, req: IncomingMessage, schema: string, path: string, fn: Fn & { jsonBody?: boolean }, args: Record<string, unknown>, bodyText: string, q: Query, media: Media, prefer: Prefer, method: string): Promise<Reply> {
    const params = new Params()
    const fname = qname(fn.schema, fn.name)
    let call: string
    let argFrom = ''
    if (fn.jsonBody) {
      call = `${fname}((${params.add(bodyText.trim() === '' ? '{}' : bodyText)})::${fn.inArgs[0].type})`
    } else {
      const given = fn.inArgs.filter((a) => Object.prototype.hasOwnProperty.call(args, a.name))
      if (given.length) {
        const json: Record<string, unknown> = {}
        for (const a of given) json[a.name] = args[a.name]
        argFrom = `json_to_record((${params.add(JSON.stringify(json))})::json) as _a(${given.map((a) => `${qi(a.name)} ${a.type}`).join(', ')})`
      }
      call = `${fname}(${given.map((a) => `${qi(a.name)} => _a.${qi(a.name)}`).join(', ')})`
    }
    const readOnly = method !== 'POST' || fn.volatility !== 'v'
    const setup = setupSql(auth, req, schema, path, cache)
    const headers: Record<string, string> = {}
    const applied = preferenceApplied(prefer, method)
    if (applied) headers['preference-applied'] = applied
    if (fn.retKind === 'void') {
      await exec(readOnly, setup, [{ text: `select ${call}${argFrom ? ` from ${argFrom}` : ''}`, params: params.values }])
      return { status: 204, headers }
    }
    if (fn.retKind === 'scalar' && !fn.retset) {
      const [[row]] = await exec(readOnly, setup, [{ text: `select to_json(${call})::text as body${argFrom ? ` from ${argFrom}` : ''}`, params: params.values }])
      return { status: 200, body: method === 'HEAD' ? undefined : row.body ?? 'null', headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-range': '0-0/*' } }
    }
    const from = argFrom ? `${argFrom} cross join lateral ` : ''
    if (fn.retKind === 'scalar') {
      const limit = Math.min(q.limits.find((l) => l.path.length === 0)?.n ?? MAX_ROWS, MAX_ROWS)
      const offset = q.offsets.find((l) => l.path.length === 0)?.n ?? 0
      const text = `select null::text as total, count(_t)::int as n, coalesce(json_agg(_t.v), '[]')::text as body from (select _r.v from ${from}${call} as _r(v)${limitSql(params, undefined, limit, offset)}) _t`
      const [[row]] = await exec(readOnly, setup, [{ text, params: params.values }])
      const reply = finishRead(row as never, media, [], offset, false, method, prefer)
      if (method === 'HEAD') reply.body = undefined
      return reply
    }
    const relTable = fn.retTable ? cache.tables.get(key(fn.retTable.schema, fn.retTable.name)) : undefined
    const source: Source = {
      schema, name: fn.name,
      columns: new Map(fn.retColumns.map((c) => [c.name, c])),
      columnOrder: fn.retColumns.map((c) => c.name), relTable,
    }
    const aliases = new Aliases()
    const root = buildTree(cache, source, q.select, aliases)
    attach(root, q)
    return selectAndRun(cache, auth, req, schema, path, root, `${from}${call} ${root.alias}`, q, media, prefer, method, readOnly, params, !fn.retset)
  }

  function openApi(cache: SchemaCache, schema: string, method: string): Reply {
    const paths: Record<string, unknown> = { '/': { get: { produces: ['application/openapi+json', 'application/json'], responses: { 200: { description: 'OK' } } } } }
    const definitions: Record<string, unknown> = {}
    for (const t of cache.tables.values()) {
      if (t.schema !== schema) continue
      paths[`/${t.name}`] = { get: { responses: { 200: { description: 'OK' } } } }
      definitions[t.name] = {
        type: 'object',
        required: t.columnOrder.filter((c) => t.columns.get(c)!.notNull && !t.columns.get(c)!.hasDefault),
        properties: Object.fromEntries(t.columnOrder.map((c) => [c, { format: t.columns.get(c)!.type, type: jsonType(t.columns.get(c)!.category) }])),
      }
    }
    for (const fns of cache.fns.values()) for (const f of fns) if (f.schema === schema) paths[`/rpc/${f.name}`] = { post: { responses: { 200: { description: 'OK' } } } }
    const doc = { swagger: '2.0', info: { title: 'immo-ai local REST', version: '14.0' }, basePath: '/', schemes: ['http'], consumes: ['application/json'], produces: ['application/json'], paths, definitions }
    return { status: 200, body: method === 'HEAD' ? undefined : JSON.stringify(doc), headers: { 'content-type': 'application/openapi+json; charset=utf-8' } }
  }

  return {
    async handle(req, res, path, url) {
      let reply: Reply
      try {
        reply = await handle(req, res, path, url)
      } catch (e) {
        const role = (res as ServerResponse & { role?: string }).role ?? 'anon'
        let err: ApiError
        const failure = dbFailure(e)
        if (e instanceof ApiError) err = e
        // 57P01/57P02 keep their SQLSTATE (503, as PostgREST); 57P03 is a failed connect.
        else if (isPgError(e) && e.code !== '57P03') err = fromPgError(e, role)
        else if (failure) err = unavailable(failure, e)
        else throw e
        const b = err.body() as unknown as Record<string, unknown>
        const dj = (err as ApiError & { detailsJson?: unknown }).detailsJson
        if (dj !== undefined) b.details = dj
        reply = { status: err.status, body: JSON.stringify(b), headers: { 'content-type': 'application/json; charset=utf-8', ...err.headers } }
      }
      if (req.method === 'HEAD') reply.body = undefined
      const body = reply.body ?? ''
      // An explicit length: headers and body leave in one write, without chunked encoding.
      if (req.method !== 'HEAD') reply.headers['content-length'] = String(Buffer.byteLength(body))
      res.writeHead(reply.status, reply.headers)
      res.end(body)
    },
    close: () => store.close(),
  }
}

function jsonType(category: string): string {
  if (category === 'N') return 'number'
  if (category === 'B') return 'boolean'
  if (category === 'A') return 'array'
  return 'string'
}
