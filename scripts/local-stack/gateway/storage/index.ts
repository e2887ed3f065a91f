/**
 * `/storage/v1`: a Supabase Storage stand-in for storage-js (contract §4).
 *
 * Every object and bucket operation runs in one transaction on the
 * `authenticator` pool as the caller's JWT role with `request.jwt.claims` set
 * (as PostgREST does), so the RLS policies on `storage.objects` and
 * `storage.buckets` decide; `service_role` bypasses them. Rows are written by
 * that same transaction (owner/owner_id = the JWT's `sub`). Bucket settings
 * (size limit, MIME types, public flag) and the public and signed-URL reads,
 * which the flag or the token authorises, use the storage admin pool.
 * Bytes live on disk (files.ts). Errors follow §4.2 (errors.ts).
 */
import { createHash, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import type { GatewayContext, GatewayModule } from '../context.ts'
import { BodyTooLarge, bearer, readBody, sendJson } from '../http.ts'
import { E, fromPg, sendError, StorageError } from './errors.ts'
import { createFileStore, isValidBucketName, isValidKey } from './files.ts'

/** config.toml `[storage] file_size_limit = "50MiB"`: the global cap. */
export const GLOBAL_FILE_SIZE_LIMIT = 50 * 1024 * 1024
/** Multipart framing allowance on top of the file size limit. */
const MULTIPART_SLACK = 64 * 1024
const SIGNED_UPLOAD_TTL_S = 2 * 60 * 60

type Tx = Parameters<Parameters<GatewayContext['api']['begin']>[1]>[0]

interface Auth {
  role: string
  claims: Record<string, unknown>
}

interface Bucket {
  id: string
  public: boolean
  file_size_limit: number | null
  allowed_mime_types: string[] | null
}

interface ObjectRow {
  id: string
  name: string
  version: string
  bucket_id: string
  metadata: ObjectMetadata | null
  user_metadata: unknown
  created_at: Date
  updated_at: Date
  last_accessed_at: Date
}

interface ObjectMetadata {
  eTag: string
  size: number
  mimetype: string
  cacheControl: string
  lastModified: string
  contentLength: number
  httpStatusCode: number
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const ListBody = z.object({
  prefix: z.string().default(''),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  sortBy: z.object({
    column: z.enum(['name', 'updated_at', 'created_at', 'last_accessed_at']).default('name'),
    order: z.string().default('asc').transform((o) => (o.toLowerCase() === 'desc' ? 'desc' : 'asc')),
  }).default({ column: 'name', order: 'asc' }),
  search: z.string().default(''),
})
const MoveBody = z.object({
  bucketId: z.string().min(1),
  sourceKey: z.string().min(1),
  destinationKey: z.string().min(1),
  destinationBucket: z.string().min(1).nullish(),
  copyMetadata: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
})
const SignBody = z.object({ expiresIn: z.coerce.number().int().min(1) })
const SignManyBody = z.object({ expiresIn: z.coerce.number().int().min(1), paths: z.array(z.string()).min(1).max(1000) })
const RemoveBody = z.object({ prefixes: z.array(z.string()).min(1).max(1000) })
const FileSize = z.union([z.number().int().min(0), z.string(), z.null()])
const BucketCreate = z.object({
  id: z.string().optional(),
  name: z.string().min(1),
  public: z.boolean().optional(),
  file_size_limit: FileSize.optional(),
  allowed_mime_types: z.array(z.string()).nullish(),
  type: z.string().optional(),
})
const BucketUpdate = z.object({
  public: z.boolean().optional(),
  file_size_limit: FileSize.optional(),
  allowed_mime_types: z.array(z.string()).nullish(),
})

/** `1048576`, `"1MB"`, `"50MiB"`, `"20GB"`, `"3B"` → bytes (KB/MB/GB decimal, KiB/MiB/GiB binary). */
export function parseFileSize(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return v
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KIB|MIB|GIB)?\s*$/i.exec(v)
  if (!m) throw E.invalidRequest('Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B')
  const unit = (m[2] ?? 'B').toUpperCase()
  const mult: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 }
  return Math.floor(Number(m[1]) * mult[unit]!)
}

/** `image/*` style wildcards; parameters (`;charset=…`) are ignored. */
export function mimeAllowed(mime: string, allowed: string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true
  const essence = mime.split(';')[0]!.trim().toLowerCase()
  return allowed.some((a) => {
    const rule = a.trim().toLowerCase()
    if (rule === '*' || rule === '*/*') return true
    if (rule.endsWith('/*')) return essence.startsWith(rule.slice(0, -1))
    return essence === rule.split(';')[0]!.trim()
  })
}

function parseJson<T>(schema: z.ZodType<T>, buf: Buffer): T {
  let raw: unknown = {}
  if (buf.length) {
    try {
      raw = JSON.parse(buf.toString('utf8'))
    } catch {
      throw E.invalidRequest('Body is not valid JSON')
    }
  }
  const r = schema.safeParse(raw)
  if (!r.success) throw E.invalidRequest(`body/${r.error.issues[0]?.path.join('/') ?? ''} ${r.error.issues[0]?.message ?? 'is invalid'}`)
  return r.data
}

async function jsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  try {
    return parseJson(schema, await readBody(req, 1024 * 1024))
  } catch (e) {
    if (e instanceof BodyTooLarge) throw E.tooLarge()
    throw e
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw E.invalidKey(s)
  }
}

/** `bucket/some/key` (still percent-encoded) → bucket id and object key. */
function splitBucketKey(rest: string): { bucket: string; key: string } {
  const i = rest.indexOf('/')
  if (i <= 0) throw E.notFound()
  const bucket = decode(rest.slice(0, i))
  const key = decode(rest.slice(i + 1))
  if (!isValidKey(key)) throw E.invalidKey(key)
  return { bucket, key }
}

function owner(auth: Auth): { owner: string | null; owner_id: string | null } {
  const sub = typeof auth.claims.sub === 'string' && auth.claims.sub !== '' ? auth.claims.sub : null
  return { owner: sub && UUID_RE.test(sub) ? sub : null, owner_id: sub }
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

interface Upload {
  data: Buffer
  mimetype: string
  cacheControl: string
  userMetadata: unknown
}

/** Raw body (content-type, cache-control, x-metadata headers) or multipart form (file under any field name). */
async function readUpload(req: IncomingMessage, limit: number): Promise<Upload> {
  const ct = (req.headers['content-type'] as string | undefined) ?? ''
  const multipart = /^multipart\/form-data/i.test(ct)
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (Number.isFinite(declared) && declared > limit + (multipart ? MULTIPART_SLACK : 0)) throw E.tooLarge()
  let buf: Buffer
  try {
    buf = await readBody(req, limit + (multipart ? MULTIPART_SLACK : 0))
  } catch (e) {
    if (e instanceof BodyTooLarge) throw E.tooLarge()
    throw e
  }
  const cache = (v: string | undefined | null) => (!v ? 'no-cache' : /^\d+$/.test(v) ? `max-age=${v}` : v)
  if (multipart) {
    let form: FormData
    try {
      form = await new Response(new Uint8Array(buf), { headers: { 'content-type': ct } }).formData()
    } catch {
      throw E.invalidRequest('Malformed multipart/form-data body')
    }
    let file: Blob | undefined
    for (const [, v] of form.entries()) if (typeof v !== 'string') file ??= v
    if (!file) throw E.invalidRequest('No content provided')
    const data = Buffer.from(await file.arrayBuffer())
    if (data.length > limit) throw E.tooLarge()
    const meta = form.get('metadata')
    let userMetadata: unknown = null
    if (typeof meta === 'string' && meta !== '') {
      try {
        userMetadata = JSON.parse(meta)
      } catch {
        throw E.invalidRequest('metadata is not valid JSON')
      }
    }
    const ctField = form.get('contentType')
    const mimetype = (typeof ctField === 'string' && ctField) || file.type || 'text/plain;charset=UTF-8'
    const cc = form.get('cacheControl')
    return { data, mimetype, cacheControl: cache(typeof cc === 'string' ? cc : null), userMetadata }
  }
  let userMetadata: unknown = null
  const xm = req.headers['x-metadata'] as string | undefined
  if (xm) {
    try {
      userMetadata = JSON.parse(Buffer.from(xm, 'base64').toString('utf8'))
    } catch {
      throw E.invalidRequest('x-metadata is not base64-encoded JSON')
    }
  }
  return { data: buf, mimetype: ct || 'text/plain;charset=UTF-8', cacheControl: cache(req.headers['cache-control'] as string | undefined), userMetadata }
}

export function createStorage(ctx: GatewayContext): GatewayModule {
  const files = createFileStore(join(ctx.cfg.dataDir, 'storage'))
  const secret = ctx.jwtSecret

  async function authenticate(req: IncomingMessage): Promise<Auth> {
    const token = bearer(req)
    if (!token) return { role: 'anon', claims: { role: 'anon' } }
    try {
      const payload = (await ctx.verifyJwt(token)) as Record<string, unknown>
      const role = typeof payload.role === 'string' && payload.role !== '' ? payload.role : 'anon'
      return { role, claims: { ...payload, role } }
    } catch (e) {
      const code = (e as { code?: string }).code
      throw E.accessDenied(code === 'ERR_JWT_EXPIRED' ? 'jwt expired' : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'invalid signature' : 'invalid jwt')
    }
  }

  /** One transaction as the caller: role and claims set first, exactly as the REST API does. */
  async function asCaller<T>(auth: Auth, req: IncomingMessage, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return (await ctx.api.begin(async (tx) => {
      await tx`select set_config('role', ${auth.role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(auth.claims)}, true),
                      set_config('request.method', ${req.method ?? 'GET'}, true),
                      set_config('search_path', 'storage, public, extensions', true)`
      return fn(tx)
    })) as T
  }

  async function findBucket(id: string): Promise<Bucket | undefined> {
    const [b] = await ctx.storageDb<Bucket[]>`
      select id, coalesce(public, false) as public, file_size_limit::float8 as file_size_limit, allowed_mime_types
      from storage.buckets where id = ${id}`
    return b
  }

  async function findObjectAdmin(bucket: string, key: string): Promise<ObjectRow | undefined> {
    const [o] = await ctx.storageDb<ObjectRow[]>`select * from storage.objects where bucket_id = ${bucket} and name = ${key}`
    return o
  }

  async function findObjectAs(auth: Auth, req: IncomingMessage, bucket: string, key: string): Promise<ObjectRow | undefined> {
    try {
      return await asCaller(auth, req, async (tx) => {
        const [o] = await tx<ObjectRow[]>`select * from storage.objects where bucket_id = ${bucket} and name = ${key}`
        return o
      })
    } catch (e) {
      throw fromPg(e)
    }
  }

  async function sign(payload: Record<string, unknown>, expiresIn: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + expiresIn).sign(secret)
  }

  async function verifyToken(token: string | null, bucket: string, key: string, scope: 'download' | 'upload'): Promise<Record<string, unknown>> {
    if (!token) throw E.invalidSignature('Missing token')
    let payload: Record<string, unknown>
    try {
      payload = (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload as Record<string, unknown>
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_JWT_EXPIRED') throw E.expired()
      throw E.invalidSignature()
    }
    if (payload.url !== `${bucket}/${key}`) throw E.invalidSignature()
    if ((scope === 'upload') !== (payload.scope === 'upload')) throw E.invalidSignature()
    return payload
  }

  // ---- object bytes out --------------------------------------------------

  async function sendObject(req: IncomingMessage, res: ServerResponse, url: URL, o: ObjectRow) {
    const size = await files.size(o.bucket_id, o.name, o.version)
    if (size === undefined) throw E.noSuchKey()
    const m = o.metadata
    const headers: Record<string, string> = {
      'content-type': m?.mimetype ?? 'application/octet-stream',
      'cache-control': m?.cacheControl ?? 'no-cache',
      'last-modified': new Date(m?.lastModified ?? o.updated_at).toUTCString(),
      'accept-ranges': 'bytes',
    }
    if (m?.eTag) headers.etag = m.eTag
    if (url.searchParams.has('download')) {
      headers['content-disposition'] = contentDisposition(url.searchParams.get('download') || o.name.split('/').pop()!)
    }
    if (m?.eTag && req.headers['if-none-match'] === m.eTag) {
      res.writeHead(304, headers)
      return void res.end()
    }
    let range: { start: number; end: number } | undefined
    const rh = req.headers.range
    if (rh) {
      const r = /^bytes=(\d*)-(\d*)$/.exec(rh.trim())
      if (r && (r[1] !== '' || r[2] !== '')) {
        let start = r[1] === '' ? Math.max(0, size - Number(r[2])) : Number(r[1])
        let end = r[1] === '' ? size - 1 : r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1)
        if (start > end || start >= size) {
          res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` })
          return void res.end()
        }
        range = { start, end }
        start = 0
        end = 0
      }
    }
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`
      headers['content-length'] = String(range.end - range.start + 1)
      res.writeHead(206, headers)
    } else {
      headers['content-length'] = String(size)
      res.writeHead(200, headers)
    }
    if (req.method === 'HEAD') return void res.end()
    await new Promise<void>((resolve) => {
      const stream = files.read(o.bucket_id, o.name, o.version, range)
      stream.on('error', () => (res.destroy(), resolve()))
      stream.on('end', resolve)
      res.on('close', () => (stream.destroy(), resolve()))
      stream.pipe(res)
    })
  }

  function info(o: ObjectRow) {
    const m = o.metadata
    return {
      id: o.id,
      name: o.name,
      version: o.version,
      bucket_id: o.bucket_id,
      size: m?.size ?? null,
      content_type: m?.mimetype ?? null,
      cache_control: m?.cacheControl ?? null,
      etag: m?.eTag ?? null,
      metadata: o.user_metadata ?? null,
      last_modified: m?.lastModified ? new Date(m.lastModified).toISOString() : o.updated_at,
      created_at: o.created_at,
      updated_at: o.updated_at,
      last_accessed_at: o.last_accessed_at,
    }
  }

  // ---- object bytes in ---------------------------------------------------

  async function upload(req: IncomingMessage, res: ServerResponse, auth: Auth, bucketId: string, key: string, mode: 'create' | 'upsert' | 'update') {
    const bucket = await findBucket(bucketId)
    if (!bucket) throw E.noSuchBucket()
    const limit = Math.min(bucket.file_size_limit ?? GLOBAL_FILE_SIZE_LIMIT, GLOBAL_FILE_SIZE_LIMIT)
    const up = await readUpload(req, limit)
    if (!mimeAllowed(up.mimetype, bucket.allowed_mime_types)) throw E.mime(up.mimetype)
    const version = randomUUID()
    const metadata: ObjectMetadata = {
      eTag: `"${createHash('md5').update(up.data).digest('hex')}"`,
      size: up.data.length,
      mimetype: up.mimetype,
      cacheControl: up.cacheControl,
      lastModified: new Date().toUTCString(),
      contentLength: up.data.length,
      httpStatusCode: 200,
    }
    const who = owner(auth)
    const meta = JSON.stringify(metadata)
    const userMeta = up.userMetadata === null ? null : JSON.stringify(up.userMetadata)
    await files.write(bucketId, key, version, up.data)
    let result: { id: string; old_version: string | null }
    try {
      result = await asCaller(auth, req, async (tx) => {
        if (mode === 'create') {
          // No RETURNING: an upload needs only the INSERT policy (contract §4.3).
          const id = randomUUID()
          await tx`insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, user_metadata, version)
                   values (${id}, ${bucketId}, ${key}, ${who.owner}, ${who.owner_id}, ${meta}::text::jsonb, ${userMeta}::text::jsonb, ${version})`
          return { id, old_version: null }
        }
        if (mode === 'upsert') {
          const [r] = await tx<{ id: string; old_version: string | null }[]>`
            with old as (select version from storage.objects where bucket_id = ${bucketId} and name = ${key} for update)
            insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
            values (${bucketId}, ${key}, ${who.owner}, ${who.owner_id}, ${meta}::text::jsonb, ${userMeta}::text::jsonb, ${version})
            on conflict (bucket_id, name) do update set
              owner = excluded.owner, owner_id = excluded.owner_id, metadata = excluded.metadata,
              user_metadata = excluded.user_metadata, version = excluded.version,
              updated_at = now(), last_accessed_at = now()
            returning id, (select version from old) as old_version`
          return r!
        }
        const [r] = await tx<{ id: string; old_version: string | null }[]>`
          with old as (select id, version from storage.objects where bucket_id = ${bucketId} and name = ${key} for update)
          update storage.objects o set
            owner = ${who.owner}, owner_id = ${who.owner_id}, metadata = ${meta}::text::jsonb,
            user_metadata = ${userMeta}::text::jsonb, version = ${version}, updated_at = now(), last_accessed_at = now()
          from old where o.id = old.id
          returning o.id, old.version as old_version`
        if (!r) throw E.noSuchKey()
        return r
      })
    } catch (e) {
      await files.remove(bucketId, key, version)
      throw fromPg(e)
    }
    if (result.old_version && result.old_version !== version) await files.remove(bucketId, key, result.old_version)
    sendJson(res, 200, { Id: result.id, Key: `${bucketId}/${key}` })
  }

  // ---- routes ------------------------------------------------------------

  async function objectRoutes(req: IncomingMessage, res: ServerResponse, rest: string, url: URL) {
    const method = (req.method ?? 'GET').toUpperCase()
    const [head, ...tail] = rest.split('/')
    const after = tail.join('/')

    // Public and signed reads: authorised by the bucket flag or the token, no JWT needed.
    if (head === 'public' && (method === 'GET' || method === 'HEAD')) {
      const { bucket, key } = splitBucketKey(after)
      const b = await findBucket(bucket)
      if (!b || !b.public) throw E.noSuchBucket()
      const o = await findObjectAdmin(bucket, key)
      if (!o) throw E.noSuchKey()
      return sendObject(req, res, url, o)
    }
    if (head === 'sign' && method === 'GET') {
      const { bucket, key } = splitBucketKey(after)
      await verifyToken(url.searchParams.get('token'), bucket, key, 'download')
      const o = await findObjectAdmin(bucket, key)
      if (!o) throw E.noSuchKey()
      return sendObject(req, res, url, o)
    }
    if (head === 'upload' && tail[0] === 'sign' && method === 'PUT') {
      const { bucket, key } = splitBucketKey(tail.slice(1).join('/'))
      const p = await verifyToken(url.searchParams.get('token'), bucket, key, 'upload')
      // RLS was checked when the URL was signed; the upload itself runs with the service role for the signer.
      const auth: Auth = { role: 'service_role', claims: { role: 'service_role', ...(typeof p.owner === 'string' ? { sub: p.owner } : {}) } }
      const upsert = p.upsert === true || (req.headers['x-upsert'] as string | undefined) === 'true'
      return upload(req, res, auth, bucket, key, upsert ? 'upsert' : 'create')
    }

    const auth = await authenticate(req)
    ;(res as ServerResponse & { role?: string }).role = auth.role

    if (head === 'list' && method === 'POST') return list(req, res, auth, decode(after))
    if (head === 'move' && method === 'POST' && !after) return move(req, res, auth)
    if (head === 'copy' && method === 'POST' && !after) return copy(req, res, auth)
    if (head === 'sign' && method === 'POST') {
      if (!after.includes('/')) return signMany(req, res, auth, decode(after))
      const { bucket, key } = splitBucketKey(after)
      const body = await jsonBody(req, SignBody)
      const o = await findObjectAs(auth, req, bucket, key)
      if (!o) throw E.noSuchKey()
      const token = await sign({ url: `${bucket}/${key}` }, body.expiresIn)
      return sendJson(res, 200, { signedURL: `/object/sign/${bucket}/${key}?token=${token}` })
    }
    if (head === 'upload' && tail[0] === 'sign' && method === 'POST') {
      const { bucket, key } = splitBucketKey(tail.slice(1).join('/'))
      const upsert = (req.headers['x-upsert'] as string | undefined) === 'true'
      if (!(await findBucket(bucket))) throw E.noSuchBucket()
      // Check now that the caller may write this key (the upload itself comes later, token-authorised).
      const who = owner(auth)
      try {
        await asCaller(auth, req, async (tx) => {
          await tx.savepoint(async (sp) => {
            if (upsert) {
              await sp`insert into storage.objects (bucket_id, name, owner, owner_id, version) values (${bucket}, ${key}, ${who.owner}, ${who.owner_id}, 'probe')
                       on conflict (bucket_id, name) do update set version = excluded.version`
            } else {
              await sp`insert into storage.objects (bucket_id, name, owner, owner_id, version) values (${bucket}, ${key}, ${who.owner}, ${who.owner_id}, 'probe')`
            }
            throw new RollbackProbe()
          }).catch((e) => {
            if (!(e instanceof RollbackProbe)) throw e
          })
        })
      } catch (e) {
        throw fromPg(e)
      }
      const token = await sign({ url: `${bucket}/${key}`, scope: 'upload', upsert, ...(who.owner_id ? { owner: who.owner_id } : {}) }, SIGNED_UPLOAD_TTL_S)
      return sendJson(res, 200, { url: `/object/upload/sign/${bucket}/${key}?token=${token}`, token })
    }
    if (head === 'info' && method === 'GET') {
      const isPublic = tail[0] === 'public'
      const path = tail[0] === 'public' || tail[0] === 'authenticated' ? tail.slice(1).join('/') : after
      const { bucket, key } = splitBucketKey(path)
      let o: ObjectRow | undefined
      if (isPublic) {
        const b = await findBucket(bucket)
        if (!b || !b.public) throw E.noSuchBucket()
        o = await findObjectAdmin(bucket, key)
      } else {
        o = await findObjectAs(auth, req, bucket, key)
      }
      if (!o) throw E.noSuchKey()
      return sendJson(res, 200, info(o))
    }
    if (head === 'authenticated' && (method === 'GET' || method === 'HEAD')) {
      const { bucket, key } = splitBucketKey(after)
      const o = await findObjectAs(auth, req, bucket, key)
      if (!o) throw E.noSuchKey()
      return sendObject(req, res, url, o)
    }

    // /object/<bucket> and /object/<bucket>/<key>
    if (!after && method === 'DELETE') return removeMany(req, res, auth, decode(head!))
    const { bucket, key } = splitBucketKey(rest)
    switch (method) {
      case 'POST':
        return upload(req, res, auth, bucket, key, (req.headers['x-upsert'] as string | undefined) === 'true' ? 'upsert' : 'create')
      case 'PUT':
        return upload(req, res, auth, bucket, key, 'update')
      case 'GET':
      case 'HEAD': {
        const o = await findObjectAs(auth, req, bucket, key)
        if (!o) throw E.noSuchKey()
        return sendObject(req, res, url, o)
      }
      case 'DELETE': {
        const rows = await deleteObjects(auth, req, bucket, [key])
        if (!rows.length) throw E.noSuchKey()
        return sendJson(res, 200, { message: 'Successfully deleted' })
      }
    }
    throw E.notFound()
  }

  async function list(req: IncomingMessage, res: ServerResponse, auth: Auth, bucket: string) {
    const body = await jsonBody(req, ListBody)
    const prefix = body.prefix === '' || body.prefix.endsWith('/') ? body.prefix : `${body.prefix}/`
    const esc = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)
    const pattern = `${esc(prefix)}${esc(body.search)}%`
    // Column and direction come from zod enums, never from raw input.
    const col = body.sortBy.column
    const dir = body.sortBy.order
    try {
      const rows = await asCaller(auth, req, (tx) =>
        tx.unsafe(
          `with objs as (
             select id, updated_at, created_at, last_accessed_at, metadata, substr(name, char_length($2::text) + 1) as rest
             from storage.objects where bucket_id = $1 and name ilike $3 escape '\\'
           ), entries as (
             select distinct on (split_part(rest, '/', 1)) split_part(rest, '/', 1) as name, null::uuid as id,
               null::timestamptz as updated_at, null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata
             from objs where position('/' in rest) > 0
             union all
             select rest, id, updated_at, created_at, last_accessed_at, metadata from objs where position('/' in rest) = 0
           )
           select * from entries order by ${col} ${dir}, name ${dir} limit $4 offset $5`,
          [bucket, prefix, pattern, body.limit, body.offset],
        ))
      sendJson(res, 200, rows)
    } catch (e) {
      throw fromPg(e)
    }
  }

  async function deleteObjects(auth: Auth, req: IncomingMessage, bucket: string, names: string[]) {
    let rows: (Record<string, unknown> & { name: string; version: string })[]
    try {
      rows = await asCaller(auth, req, async (tx) => {
        const r = await tx<{ row: Record<string, unknown> & { name: string; version: string } }[]>`
          delete from storage.objects where bucket_id = ${bucket} and name = any(${names}::text[])
          returning to_jsonb(objects.*) - 'path_tokens' as row`
        return r.map((x) => x.row)
      })
    } catch (e) {
      throw fromPg(e)
    }
    for (const r of rows) await files.remove(bucket, r.name, r.version)
    return rows
  }

  async function removeMany(req: IncomingMessage, res: ServerResponse, auth: Auth, bucket: string) {
    const body = await jsonBody(req, RemoveBody)
    const names = body.prefixes.map((p) => p.replace(/^\/+/, ''))
    for (const n of names) if (!isValidKey(n)) throw E.invalidKey(n)
    sendJson(res, 200, await deleteObjects(auth, req, bucket, names))
  }

  async function signMany(req: IncomingMessage, res: ServerResponse, auth: Auth, bucket: string) {
    const body = await jsonBody(req, SignManyBody)
    let visible: Set<string>
    try {
      visible = await asCaller(auth, req, async (tx) => {
        const r = await tx<{ name: string }[]>`select name from storage.objects where bucket_id = ${bucket} and name = any(${body.paths}::text[])`
        return new Set(r.map((x) => x.name))
      })
    } catch (e) {
      throw fromPg(e)
    }
    const out = []
    for (const path of body.paths) {
      if (!visible.has(path)) {
        out.push({ error: 'Either the object does not exist or you do not have access to it', path, signedURL: null })
        continue
      }
      const token = await sign({ url: `${bucket}/${path}` }, body.expiresIn)
      out.push({ error: null, path, signedURL: `/object/sign/${bucket}/${path}?token=${token}` })
    }
    sendJson(res, 200, out)
  }

  function checkMoveBody(body: z.infer<typeof MoveBody>) {
    const src = body.sourceKey.replace(/^\/+/, '')
    const dst = body.destinationKey.replace(/^\/+/, '')
    if (!isValidKey(src)) throw E.invalidKey(body.sourceKey)
    if (!isValidKey(dst)) throw E.invalidKey(body.destinationKey)
    return { src, dst, srcBucket: body.bucketId, dstBucket: body.destinationBucket ?? body.bucketId }
  }

  async function move(req: IncomingMessage, res: ServerResponse, auth: Auth) {
    const { src, dst, srcBucket, dstBucket } = checkMoveBody(await jsonBody(req, MoveBody))
    if (dstBucket !== srcBucket && !(await findBucket(dstBucket))) throw E.noSuchBucket()
    let version: string | undefined
    let linked = false
    try {
      await asCaller(auth, req, async (tx) => {
        const [r] = await tx<{ version: string }[]>`
          update storage.objects set bucket_id = ${dstBucket}, name = ${dst}, updated_at = now(), last_accessed_at = now()
          where bucket_id = ${srcBucket} and name = ${src} returning version`
        if (!r) throw E.noSuchKey()
        version = r.version
        await files.link({ bucket: srcBucket, name: src, version }, { bucket: dstBucket, name: dst })
        linked = true
      })
    } catch (e) {
      if (linked && version) await files.remove(dstBucket, dst, version)
      throw fromPg(e)
    }
    await files.remove(srcBucket, src, version!)
    sendJson(res, 200, { message: 'Successfully moved' })
  }

  async function copy(req: IncomingMessage, res: ServerResponse, auth: Auth) {
    const body = await jsonBody(req, MoveBody)
    const { src, dst, srcBucket, dstBucket } = checkMoveBody(body)
    if (dstBucket !== srcBucket && !(await findBucket(dstBucket))) throw E.noSuchBucket()
    const upsert = (req.headers['x-upsert'] as string | undefined) === 'true'
    const version = randomUUID()
    const who = owner(auth)
    let copied = false
    let result: { id: string; old_version: string | null }
    try {
      result = await asCaller(auth, req, async (tx) => {
        const [s] = await tx<ObjectRow[]>`select * from storage.objects where bucket_id = ${srcBucket} and name = ${src}`
        if (!s) throw E.noSuchKey()
        await files.copy({ bucket: srcBucket, name: src, version: s.version }, { bucket: dstBucket, name: dst, version })
        copied = true
        const userMeta = body.copyMetadata === false ? (body.metadata ? JSON.stringify(body.metadata) : null) : s.user_metadata === null ? null : JSON.stringify(s.user_metadata)
        const meta = JSON.stringify({ ...(s.metadata ?? {}), lastModified: new Date().toUTCString() })
        const [r] = upsert
          ? await tx<{ id: string; old_version: string | null }[]>`
              with old as (select version from storage.objects where bucket_id = ${dstBucket} and name = ${dst} for update)
              insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
              values (${dstBucket}, ${dst}, ${who.owner}, ${who.owner_id}, ${meta}::text::jsonb, ${userMeta}::text::jsonb, ${version})
              on conflict (bucket_id, name) do update set owner = excluded.owner, owner_id = excluded.owner_id,
                metadata = excluded.metadata, user_metadata = excluded.user_metadata, version = excluded.version, updated_at = now()
              returning id, (select version from old) as old_version`
          : await tx<{ id: string; old_version: string | null }[]>`
              insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
              values (${dstBucket}, ${dst}, ${who.owner}, ${who.owner_id}, ${meta}::text::jsonb, ${userMeta}::text::jsonb, ${version})
              returning id, null::text as old_version`
        return r!
      })
    } catch (e) {
      if (copied) await files.remove(dstBucket, dst, version)
      throw fromPg(e)
    }
    if (result.old_version) await files.remove(dstBucket, dst, result.old_version)
    sendJson(res, 200, { Id: result.id, Key: `${dstBucket}/${dst}` })
  }

  // ---- buckets -------------------------------------------------------------

  const BUCKET_COLS = `id, name, owner, owner_id, coalesce(public, false) as public, type, file_size_limit::float8 as file_size_limit,
    allowed_mime_types, created_at, updated_at`

  async function bucketRoutes(req: IncomingMessage, res: ServerResponse, rest: string) {
    const method = (req.method ?? 'GET').toUpperCase()
    const auth = await authenticate(req)
    ;(res as ServerResponse & { role?: string }).role = auth.role
    const parts = rest === '' ? [] : rest.split('/').map(decode)
    try {
      if (parts.length === 0 && method === 'GET') {
        return sendJson(res, 200, await asCaller(auth, req, (tx) => tx.unsafe(`select ${BUCKET_COLS} from storage.buckets order by name`)))
      }
      if (parts.length === 0 && method === 'POST') {
        const body = await jsonBody(req, BucketCreate)
        const id = body.id ?? body.name
        if (!isValidBucketName(id)) throw E.invalidBucketName()
        const limit = parseFileSize(body.file_size_limit)
        const who = owner(auth)
        await asCaller(auth, req, (tx) => tx`
          insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
          values (${id}, ${id}, ${who.owner}, ${who.owner_id}, ${body.public ?? false}, ${limit}, ${body.allowed_mime_types ?? null})`)
          .catch((e) => {
            throw fromPg(e, { unique: E.bucketExists })
          })
        return sendJson(res, 200, { name: id })
      }
      const id = parts[0]!
      if (parts.length === 1 && method === 'GET') {
        const [b] = await asCaller(auth, req, (tx) => tx.unsafe(`select ${BUCKET_COLS} from storage.buckets where id = $1`, [id]))
        if (!b) throw E.noSuchBucket()
        return sendJson(res, 200, b)
      }
      if (parts.length === 1 && method === 'PUT') {
        const body = await jsonBody(req, BucketUpdate)
        const limit = body.file_size_limit === undefined ? undefined : parseFileSize(body.file_size_limit)
        const [r] = await asCaller(auth, req, (tx) => tx`
          update storage.buckets set
            public = case when ${body.public === undefined} then public else ${body.public ?? false} end,
            file_size_limit = case when ${limit === undefined} then file_size_limit else ${limit ?? null}::bigint end,
            allowed_mime_types = case when ${body.allowed_mime_types === undefined} then allowed_mime_types else ${body.allowed_mime_types ?? null}::text[] end,
            updated_at = now()
          where id = ${id} returning id`)
        if (!r) throw E.noSuchBucket()
        return sendJson(res, 200, { message: 'Successfully updated' })
      }
      if (parts.length === 1 && method === 'DELETE') {
        const [r] = await asCaller(auth, req, (tx) => tx`delete from storage.buckets where id = ${id} returning id`)
          .catch((e) => {
            throw fromPg(e, { foreignKey: E.bucketNotEmpty })
          })
        if (!r) throw E.noSuchBucket()
        await files.removeBucket(id)
        return sendJson(res, 200, { message: 'Successfully deleted' })
      }
      if (parts.length === 2 && parts[1] === 'empty' && method === 'POST') {
        if (auth.role !== 'service_role') throw E.accessDenied('Access denied: Invalid role', 403)
        if (!(await findBucket(id))) throw E.noSuchBucket()
        const rows = await asCaller(auth, req, (tx) =>
          tx<{ name: string; version: string }[]>`delete from storage.objects where bucket_id = ${id} returning name, version`)
        for (const r of rows) await files.remove(id, r.name, r.version)
        return sendJson(res, 200, { message: 'Successfully emptied' })
      }
    } catch (e) {
      throw fromPg(e)
    }
    throw E.notFound()
  }

  return {
    async handle(req, res, path, url) {
      try {
        if (path === '/bucket' || path.startsWith('/bucket/')) return await bucketRoutes(req, res, path.slice('/bucket'.length).replace(/^\//, ''))
        if (path.startsWith('/object/')) return await objectRoutes(req, res, path.slice('/object/'.length), url)
        throw E.notFound()
      } catch (e) {
        const err = e instanceof StorageError ? e : fromPg(e)
        if (err.statusCode >= 500) ctx.log({ level: 'error', service: 'storage', message: err.message, error: String((e as Error).stack ?? e) })
        if (res.headersSent) return void res.destroy()
        // Unread upload bytes are discarded so the error reaches the client.
        if (!req.readableEnded) req.resume()
        sendError(res, err)
      }
    },
  }
}

class RollbackProbe extends Error {}
