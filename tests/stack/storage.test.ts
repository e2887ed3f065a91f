/**
 * Storage through the gateway's /storage/v1 with the real supabase-js
 * (contract §4 and the storage cases of §6). Fixture buckets and
 * storage.objects policies are created as superuser and dropped afterwards;
 * user JWTs are minted with the stack secret. Policies: a user may read and
 * write under the folder named after their id in the `priv`, `pub` and
 * `small` buckets; in `insonly` they may read and insert but never update.
 */
import { randomUUID } from 'node:crypto'
import { request } from 'node:http'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { SignJWT } from 'jose'
import type postgres from 'postgres'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminSql, client, env } from '../helpers/stack'

const tag = randomUUID().slice(0, 8)
const PRIV = `st-${tag}-priv`
const PUB = `st-${tag}-pub`
const SMALL = `st-${tag}-small`
const INSONLY = `st-${tag}-insonly`
const A = randomUUID()
const B = randomUUID()
const secret = () => new TextEncoder().encode(env('SUPABASE_JWT_SECRET'))

async function jwtFor(sub: string, opts: { exp?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', email: `${sub.slice(0, 8)}@test.local` })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(now - 10)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(secret())
}

function userClient(token: string): SupabaseClient {
  return createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
    accessToken: async () => token,
    realtime: { transport: WebSocket as never },
  })
}

/** A raw request, so paths reach the gateway exactly as written (fetch would normalise `..`). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(env('SUPABASE_URL'))
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, method, path, headers: { apikey: env('SUPABASE_SERVICE_ROLE_KEY'), ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    r.on('error', reject)
    r.end(body)
  })
}

let sql: postgres.Sql
let service: SupabaseClient
let asA: SupabaseClient
let asB: SupabaseClient
let jwtA: string

beforeAll(async () => {
  sql = adminSql()
  service = client('service')
  jwtA = await jwtFor(A)
  asA = userClient(jwtA)
  asB = userClient(await jwtFor(B))
  await sql`insert into storage.buckets (id, name, public) values (${PRIV}, ${PRIV}, false), (${PUB}, ${PUB}, true), (${INSONLY}, ${INSONLY}, false)`
  await sql`insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values (${SMALL}, ${SMALL}, false, 1024, ${['image/*', 'text/plain']})`
  const own = sql.unsafe(`bucket_id in ('${PRIV}', '${PUB}', '${SMALL}') and (storage.foldername(name))[1] = (select auth.uid())::text`)
  const ins = sql.unsafe(`bucket_id = '${INSONLY}' and (storage.foldername(name))[1] = (select auth.uid())::text`)
  await sql`create policy ${sql(`st_${tag}_select`)} on storage.objects for select to authenticated using (${own})`
  await sql`create policy ${sql(`st_${tag}_insert`)} on storage.objects for insert to authenticated with check (${own})`
  await sql`create policy ${sql(`st_${tag}_update`)} on storage.objects for update to authenticated using (${own}) with check (${own})`
  await sql`create policy ${sql(`st_${tag}_delete`)} on storage.objects for delete to authenticated using (${own})`
  await sql`create policy ${sql(`st_${tag}_ins_select`)} on storage.objects for select to authenticated using (${ins})`
  await sql`create policy ${sql(`st_${tag}_ins_insert`)} on storage.objects for insert to authenticated with check (${ins})`
})

afterAll(async () => {
  for (const p of ['select', 'insert', 'update', 'delete', 'ins_select', 'ins_insert']) await sql`drop policy if exists ${sql(`st_${tag}_${p}`)} on storage.objects`
  for (const b of [PRIV, PUB, SMALL, INSONLY]) {
    await service.storage.emptyBucket(b)
    await service.storage.deleteBucket(b)
  }
  await sql`delete from storage.objects where bucket_id like ${`st-${tag}-%`}`
  await sql`delete from storage.buckets where id like ${`st-${tag}-%`}`
  await sql.end()
})

describe('buckets', () => {
  const extra = `st-${tag}-crud`

  it('service role creates a bucket with limits; getBucket returns its settings', async () => {
    const { data, error } = await service.storage.createBucket(extra, { public: false, fileSizeLimit: '1KB', allowedMimeTypes: ['image/png'] })
    expect(error).toBeNull()
    expect(data).toEqual({ name: extra })
    const got = await service.storage.getBucket(extra)
    expect(got.error).toBeNull()
    expect(got.data).toMatchObject({ id: extra, name: extra, public: false, file_size_limit: 1000, allowed_mime_types: ['image/png'] })
  })

  it('a second bucket with the same id → statusCode 409', async () => {
    const { error } = await service.storage.createBucket(extra)
    expect(error).toMatchObject({ status: 400, statusCode: '409' })
  })

  it('an invalid bucket name is refused', async () => {
    const { error } = await service.storage.createBucket('bad/name')
    expect(error).toMatchObject({ status: 400, statusCode: '400' })
  })

  it('a user cannot create buckets (no storage.buckets policy) → 403 by RLS', async () => {
    const { error } = await asA.storage.createBucket(`st-${tag}-nope`)
    expect(error).toMatchObject({ status: 400, statusCode: '403' })
    expect(error?.message).toMatch(/row-level security/)
  })

  it('listBuckets: the service role sees the fixtures; a user sees none (RLS)', async () => {
    const all = await service.storage.listBuckets()
    expect(all.data?.map((b) => b.id)).toEqual(expect.arrayContaining([PRIV, PUB, SMALL, extra]))
    const mine = await asA.storage.listBuckets()
    expect(mine.error).toBeNull()
    expect(mine.data).toEqual([])
  })

  it('updateBucket changes the public flag and limits', async () => {
    const { error } = await service.storage.updateBucket(extra, { public: true, fileSizeLimit: 2048, allowedMimeTypes: null as never })
    expect(error).toBeNull()
    const got = await service.storage.getBucket(extra)
    expect(got.data).toMatchObject({ public: true, file_size_limit: 2048, allowed_mime_types: null })
  })

  it('deleting a non-empty bucket → 409; emptyBucket needs the service role (HTTP 403); then delete works', async () => {
    await service.storage.from(extra).upload('x.txt', 'x', { contentType: 'text/plain' })
    const del = await service.storage.deleteBucket(extra)
    expect(del.error).toMatchObject({ statusCode: '409' })
    const byUser = await asA.storage.emptyBucket(extra)
    expect(byUser.error).toMatchObject({ status: 403, statusCode: '403' })
    expect((await service.storage.emptyBucket(extra)).data).toEqual({ message: 'Successfully emptied' })
    expect((await service.storage.deleteBucket(extra)).data).toEqual({ message: 'Successfully deleted' })
    const gone = await service.storage.getBucket(extra)
    expect(gone.error).toMatchObject({ statusCode: '404' })
  })
})

describe('upload and download under RLS', () => {
  it('case 90: upload into my folder → {id, path, fullPath}; download gives the same bytes and type', async () => {
    const { data, error } = await asA.storage.from(PRIV).upload(`${A}/x.txt`, Buffer.from('hello storage'), { contentType: 'text/plain' })
    expect(error).toBeNull()
    expect(data).toMatchObject({ path: `${A}/x.txt`, fullPath: `${PRIV}/${A}/x.txt` })
    expect(data!.id).toMatch(/^[0-9a-f-]{36}$/)
    const dl = await asA.storage.from(PRIV).download(`${A}/x.txt`)
    expect(dl.error).toBeNull()
    expect(await dl.data!.text()).toBe('hello storage')
    expect(dl.data!.type).toBe('text/plain')
  })

  it('the row is written by the caller: owner and owner_id are the JWT sub', async () => {
    const [row] = await sql`select owner::text, owner_id from storage.objects where bucket_id = ${PRIV} and name = ${`${A}/x.txt`}`
    expect(row).toEqual({ owner: A, owner_id: A })
  })

  it("uploading into someone else's folder is refused by RLS → statusCode 403", async () => {
    const { error } = await asA.storage.from(PRIV).upload(`${B}/evil.txt`, 'x')
    expect(error).toMatchObject({ status: 400, statusCode: '403' })
    expect(error?.message).toBe('new row violates row-level security policy')
  })

  it('anon (no user JWT) cannot upload to a private bucket', async () => {
    const { error } = await client().storage.from(PRIV).upload(`${A}/anon.txt`, 'x')
    expect(error).toMatchObject({ statusCode: '403' })
  })

  it('an expired user JWT → statusCode 403', async () => {
    const expired = userClient(await jwtFor(A, { exp: Math.floor(Date.now() / 1000) - 60 }))
    const { error } = await expired.storage.from(PRIV).download(`${A}/x.txt`)
    expect(error).toBeTruthy()
    const r = await raw('GET', `/storage/v1/object/${PRIV}/${A}/x.txt`, { authorization: `Bearer ${await jwtFor(A, { exp: Math.floor(Date.now() / 1000) - 60 })}` })
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: '403', code: 'AccessDenied', message: 'jwt expired' })
  })

  it('case 92: the same key again without upsert → 409; with upsert → replaced', async () => {
    const dup = await asA.storage.from(PRIV).upload(`${A}/x.txt`, 'again')
    expect(dup.error).toMatchObject({ status: 400, statusCode: '409' })
    const up = await asA.storage.from(PRIV).upload(`${A}/x.txt`, 'replaced', { upsert: true, contentType: 'text/plain' })
    expect(up.error).toBeNull()
    expect(await (await asA.storage.from(PRIV).download(`${A}/x.txt`)).data!.text()).toBe('replaced')
  })

  it('upsert needs the UPDATE policy: insert-only folder refuses the overwrite', async () => {
    expect((await asA.storage.from(INSONLY).upload(`${A}/once.txt`, 'v1')).error).toBeNull()
    const again = await asA.storage.from(INSONLY).upload(`${A}/once.txt`, 'v2', { upsert: true })
    expect(again.error).toMatchObject({ statusCode: '403' })
    expect(await (await asA.storage.from(INSONLY).download(`${A}/once.txt`)).data!.text()).toBe('v1')
  })

  it('case 93: a Blob goes multipart; the stored type comes from the blob, metadata is kept', async () => {
    const blob = new Blob([JSON.stringify({ k: 1 })], { type: 'application/json' })
    const { error } = await asA.storage.from(PRIV).upload(`${A}/data.json`, blob, { metadata: { source: 'test' }, cacheControl: '60' })
    expect(error).toBeNull()
    const info = await asA.storage.from(PRIV).info(`${A}/data.json`)
    expect(info.error).toBeNull()
    expect(info.data).toMatchObject({ contentType: 'application/json', size: blob.size, metadata: { source: 'test' }, cacheControl: 'max-age=60' })
    const dl = await asA.storage.from(PRIV).download(`${A}/data.json`)
    expect(await dl.data!.text()).toBe('{"k":1}')
  })

  it('raw upload keeps cache-control and x-metadata; download sends ETag, Cache-Control, Last-Modified', async () => {
    await asA.storage.from(PRIV).upload(`${A}/raw.bin`, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { contentType: 'application/octet-stream', cacheControl: '120', metadata: { n: 2 } })
    const r = await raw('GET', `/storage/v1/object/${PRIV}/${A}/raw.bin`, { authorization: `Bearer ${jwtA}` })
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toBe('max-age=120')
    expect(r.headers['content-type']).toBe('application/octet-stream')
    expect(r.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(r.headers['last-modified']).toBeTruthy()
    expect([...r.body]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect((await asA.storage.from(PRIV).info(`${A}/raw.bin`)).data?.metadata).toEqual({ n: 2 })
  })

  it('range requests return 206 with the slice; HEAD returns the headers only', async () => {
    const r = await raw('GET', `/storage/v1/object/${PRIV}/${A}/raw.bin`, { authorization: `Bearer ${jwtA}`, range: 'bytes=2-4' })
    expect(r.status).toBe(206)
    expect(r.headers['content-range']).toBe('bytes 2-4/8')
    expect([...r.body]).toEqual([3, 4, 5])
    const h = await raw('HEAD', `/storage/v1/object/authenticated/${PRIV}/${A}/raw.bin`, { authorization: `Bearer ${jwtA}` })
    expect(h.status).toBe(200)
    expect(h.headers['content-length']).toBe('8')
    expect(h.body.length).toBe(0)
  })

  it('update (PUT) replaces the bytes; updating a missing key → 404', async () => {
    expect((await asA.storage.from(PRIV).update(`${A}/raw.bin`, 'new text', { contentType: 'text/plain' })).error).toBeNull()
    expect(await (await asA.storage.from(PRIV).download(`${A}/raw.bin`)).data!.text()).toBe('new text')
    const missing = await asA.storage.from(PRIV).update(`${A}/missing.txt`, 'x')
    expect(missing.error).toMatchObject({ statusCode: '404' })
  })

  it('case 94: download of a missing key → status 400, statusCode 404; exists() false/true', async () => {
    const { error } = await asA.storage.from(PRIV).download(`${A}/missing`)
    expect(error).toMatchObject({ status: 400, statusCode: '404' })
    expect((await asA.storage.from(PRIV).exists(`${A}/missing`)).data).toBe(false)
    expect((await asA.storage.from(PRIV).exists(`${A}/x.txt`)).data).toBe(true)
  })

  it("RLS hides other users' objects: B cannot download, info or sign A's file", async () => {
    expect((await asB.storage.from(PRIV).download(`${A}/x.txt`)).error).toMatchObject({ statusCode: '404' })
    expect((await asB.storage.from(PRIV).info(`${A}/x.txt`)).error).toMatchObject({ statusCode: '404' })
    expect((await asB.storage.from(PRIV).createSignedUrl(`${A}/x.txt`, 60)).error).toMatchObject({ statusCode: '404' })
  })

  it('the service role bypasses RLS', async () => {
    const dl = await service.storage.from(PRIV).download(`${A}/x.txt`)
    expect(await dl.data!.text()).toBe('replaced')
  })

  it('a bucket that does not exist → statusCode 404 NoSuchBucket for upload and download', async () => {
    const up = await asA.storage.from(`st-${tag}-missing`).upload(`${A}/x.txt`, 'x')
    expect(up.error).toMatchObject({ status: 400, statusCode: '404' })
    const r = await raw('GET', `/storage/v1/object/public/st-${tag}-missing/x.txt`, {})
    expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: '404', code: 'NoSuchBucket' })
  })

  it('unicode and spaces in keys round-trip', async () => {
    const key = `${A}/dossier été/plan n°1.txt`
    expect((await asA.storage.from(PRIV).upload(key, 'accents', { contentType: 'text/plain' })).error).toBeNull()
    expect(await (await asA.storage.from(PRIV).download(key)).data!.text()).toBe('accents')
  })
})

describe('bucket limits', () => {
  it('an object over the bucket file_size_limit → statusCode 413 EntityTooLarge', async () => {
    const { error } = await asA.storage.from(SMALL).upload(`${A}/big.txt`, Buffer.alloc(2048, 97), { contentType: 'text/plain' })
    expect(error).toMatchObject({ status: 400, statusCode: '413' })
    const r = await raw('POST', `/storage/v1/object/${SMALL}/${A}/big2.txt`, { authorization: `Bearer ${jwtA}`, 'content-type': 'text/plain' }, Buffer.alloc(4096, 97))
    expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: '413', code: 'EntityTooLarge' })
    expect((await asA.storage.from(SMALL).exists(`${A}/big.txt`)).data).toBe(false)
  })

  it('an oversized multipart upload is refused too', async () => {
    const { error } = await asA.storage.from(SMALL).upload(`${A}/big.png`, new Blob([new Uint8Array(3000)], { type: 'image/png' }))
    expect(error).toMatchObject({ statusCode: '413' })
  })

  it('allowed_mime_types with wildcards: image/png and text/plain pass, application/pdf → 415', async () => {
    expect((await asA.storage.from(SMALL).upload(`${A}/ok.png`, new Uint8Array([137, 80, 78, 71]), { contentType: 'image/png' })).error).toBeNull()
    expect((await asA.storage.from(SMALL).upload(`${A}/ok.txt`, 'tiny', { contentType: 'text/plain;charset=UTF-8' })).error).toBeNull()
    const { error } = await asA.storage.from(SMALL).upload(`${A}/doc.pdf`, 'pdf', { contentType: 'application/pdf' })
    expect(error).toMatchObject({ status: 400, statusCode: '415' })
  })
})

describe('path safety', () => {
  it.each([
    ['dot-dot segments', `${A}/..%2F..%2F..%2Fescape.txt`],
    ['a leading dot-dot', `..%2Fescape.txt`],
    ['a backslash', `${A}/a%5C..%5Cb.txt`],
    ['a NUL byte', `${A}/a%00.txt`],
    ['an absolute key', `%2Fetc%2Fpasswd`],
  ])('upload with %s is refused with InvalidKey', async (_what, key) => {
    const r = await raw('POST', `/storage/v1/object/${PRIV}/${key}`, { 'content-type': 'text/plain' }, 'x')
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body.toString())).toMatchObject({ statusCode: '400', code: 'InvalidKey' })
  })

  it('move and copy refuse traversal in the destination key', async () => {
    const mv = await asA.storage.from(PRIV).move(`${A}/x.txt`, `${A}/../../../escape.txt`)
    expect(mv.error).toMatchObject({ statusCode: '400' })
    const cp = await service.storage.from(PRIV).copy(`${A}/x.txt`, '../outside.txt')
    expect(cp.error).toMatchObject({ statusCode: '400' })
    expect((await asA.storage.from(PRIV).download(`${A}/x.txt`)).error).toBeNull()
  })
})

describe('list', () => {
  beforeAll(async () => {
    for (const k of ['list/b.txt', 'list/a.txt', 'list/c.txt', 'list/sub/deep.txt', 'list/sub2/deeper/z.txt']) {
      await asA.storage.from(PRIV).upload(`${A}/${k}`, k, { contentType: 'text/plain', upsert: true })
    }
  })

  it('case 97: files and sub-folders of one level; a folder row has id null', async () => {
    const { data, error } = await asA.storage.from(PRIV).list(`${A}/list`, { limit: 10 })
    expect(error).toBeNull()
    expect(data!.map((e) => e.name)).toEqual(['a.txt', 'b.txt', 'c.txt', 'sub', 'sub2'])
    const folder = data!.find((e) => e.name === 'sub')!
    expect(folder).toMatchObject({ id: null, metadata: null, updated_at: null })
    const file = data!.find((e) => e.name === 'a.txt')!
    expect(file.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(file.metadata).toMatchObject({ size: 10, mimetype: 'text/plain', eTag: expect.any(String) })
  })

  it('limit, offset, sortBy desc and search', async () => {
    const page = await asA.storage.from(PRIV).list(`${A}/list`, { limit: 2, offset: 1 })
    expect(page.data!.map((e) => e.name)).toEqual(['b.txt', 'c.txt'])
    const desc = await asA.storage.from(PRIV).list(`${A}/list`, { sortBy: { column: 'name', order: 'desc' } })
    expect(desc.data!.map((e) => e.name)).toEqual(['sub2', 'sub', 'c.txt', 'b.txt', 'a.txt'])
    const search = await asA.storage.from(PRIV).list(`${A}/list`, { search: 'su' })
    expect(search.data!.map((e) => e.name)).toEqual(['sub', 'sub2'])
  })

  it('the bucket root lists my folder; another user sees nothing of it', async () => {
    const root = await asA.storage.from(PRIV).list()
    expect(root.data!.map((e) => e.name)).toContain(A)
    const b = await asB.storage.from(PRIV).list(`${A}/list`)
    expect(b.error).toBeNull()
    expect(b.data).toEqual([])
  })

  it('search treats % and _ literally', async () => {
    const r = await asA.storage.from(PRIV).list(`${A}/list`, { search: '%' })
    expect(r.data).toEqual([])
  })
})

describe('move, copy, remove', () => {
  it('move within my folder: the old key is gone, the new key has the bytes', async () => {
    await asA.storage.from(PRIV).upload(`${A}/mv/src.txt`, 'moving', { contentType: 'text/plain' })
    const { data, error } = await asA.storage.from(PRIV).move(`${A}/mv/src.txt`, `${A}/mv/dst.txt`)
    expect(error).toBeNull()
    expect(data).toEqual({ message: 'Successfully moved' })
    expect((await asA.storage.from(PRIV).exists(`${A}/mv/src.txt`)).data).toBe(false)
    expect(await (await asA.storage.from(PRIV).download(`${A}/mv/dst.txt`)).data!.text()).toBe('moving')
  })

  it("moving into someone else's folder is refused (UPDATE WITH CHECK); a missing source → 404", async () => {
    const denied = await asA.storage.from(PRIV).move(`${A}/mv/dst.txt`, `${B}/stolen.txt`)
    expect(denied.error).toMatchObject({ statusCode: '403' })
    const missing = await asA.storage.from(PRIV).move(`${A}/mv/none.txt`, `${A}/mv/x.txt`)
    expect(missing.error).toMatchObject({ statusCode: '404' })
  })

  it('move across buckets keeps the bytes', async () => {
    await asA.storage.from(PRIV).upload(`${A}/mv/cross.txt`, 'across', { contentType: 'text/plain' })
    const { error } = await asA.storage.from(PRIV).move(`${A}/mv/cross.txt`, `${A}/cross.txt`, { destinationBucket: PUB })
    expect(error).toBeNull()
    expect(await (await asA.storage.from(PUB).download(`${A}/cross.txt`)).data!.text()).toBe('across')
  })

  it('copy: both keys exist with the same bytes; copying into B’s folder is refused', async () => {
    const { data, error } = await asA.storage.from(PRIV).copy(`${A}/mv/dst.txt`, `${A}/mv/copy.txt`)
    expect(error).toBeNull()
    expect(data).toEqual({ path: `${PRIV}/${A}/mv/copy.txt` })
    expect(await (await asA.storage.from(PRIV).download(`${A}/mv/copy.txt`)).data!.text()).toBe('moving')
    expect(await (await asA.storage.from(PRIV).download(`${A}/mv/dst.txt`)).data!.text()).toBe('moving')
    const denied = await asA.storage.from(PRIV).copy(`${A}/mv/dst.txt`, `${B}/copy.txt`)
    expect(denied.error).toMatchObject({ statusCode: '403' })
  })

  it('case 97: remove returns the deleted rows and skips missing keys', async () => {
    const { data, error } = await asA.storage.from(PRIV).remove([`${A}/mv/copy.txt`, `${A}/mv/never.txt`])
    expect(error).toBeNull()
    expect(data).toHaveLength(1)
    expect(data![0]).toMatchObject({ name: `${A}/mv/copy.txt`, bucket_id: PRIV, owner_id: A })
    expect((await asA.storage.from(PRIV).exists(`${A}/mv/copy.txt`)).data).toBe(false)
  })

  it("another user's remove deletes nothing (RLS) and the file stays", async () => {
    const { data, error } = await asB.storage.from(PRIV).remove([`${A}/mv/dst.txt`])
    expect(error).toBeNull()
    expect(data).toEqual([])
    expect((await asA.storage.from(PRIV).exists(`${A}/mv/dst.txt`)).data).toBe(true)
  })
})

describe('signed and public URLs', () => {
  it('case 95: a signed URL downloads without auth; download=name sets Content-Disposition', async () => {
    const { data, error } = await asA.storage.from(PRIV).createSignedUrl(`${A}/x.txt`, 60, { download: 'report.txt' })
    expect(error).toBeNull()
    const r = await fetch(data!.signedUrl)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('replaced')
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="report.txt"/)
  })

  it('a tampered token, or a token for another path → 400 InvalidSignature', async () => {
    const { data } = await asA.storage.from(PRIV).createSignedUrl(`${A}/x.txt`, 60)
    const url = new URL(data!.signedUrl)
    const token = url.searchParams.get('token')!
    const [h, p, s] = token.split('.')
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString())
    forged.url = `${PRIV}/${A}/raw.bin`
    url.searchParams.set('token', `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`)
    const tampered = await fetch(url)
    expect(tampered.status).toBe(400)
    expect(await tampered.json()).toMatchObject({ statusCode: '400', code: 'InvalidSignature' })
    const other = await fetch(`${env('SUPABASE_URL')}/storage/v1/object/sign/${PRIV}/${A}/raw.bin?token=${token}`)
    expect(other.status).toBe(400)
  })

  it('an expired signed URL → 400 ExpiredToken', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ url: `${PRIV}/${A}/x.txt` }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now - 120).setExpirationTime(now - 60).sign(secret())
    const r = await fetch(`${env('SUPABASE_URL')}/storage/v1/object/sign/${PRIV}/${A}/x.txt?token=${token}`)
    expect(r.status).toBe(400)
    expect(await r.json()).toMatchObject({ code: 'ExpiredToken', message: 'The provided token has expired.' })
  })

  it('createSignedUrls: one entry per path, an error for what the caller cannot see', async () => {
    const { data, error } = await asA.storage.from(PRIV).createSignedUrls([`${A}/x.txt`, `${A}/nope.txt`], 60)
    expect(error).toBeNull()
    expect(data![0]).toMatchObject({ path: `${A}/x.txt`, error: null })
    expect(await (await fetch(data![0]!.signedUrl!)).text()).toBe('replaced')
    expect(data![1]).toMatchObject({ path: `${A}/nope.txt`, signedUrl: null })
    expect(data![1]!.error).toBeTruthy()
  })

  it('signed upload URL: created under RLS, then usable without auth, once per path', async () => {
    const { data, error } = await asA.storage.from(PRIV).createSignedUploadUrl(`${A}/signed-up.txt`)
    expect(error).toBeNull()
    const up = await client().storage.from(PRIV).uploadToSignedUrl(`${A}/signed-up.txt`, data!.token, 'via token', { contentType: 'text/plain' })
    expect(up.error).toBeNull()
    expect(await (await asA.storage.from(PRIV).download(`${A}/signed-up.txt`)).data!.text()).toBe('via token')
    const [row] = await sql`select owner_id from storage.objects where bucket_id = ${PRIV} and name = ${`${A}/signed-up.txt`}`
    expect(row?.owner_id).toBe(A)
    const other = await client().storage.from(PRIV).uploadToSignedUrl(`${A}/other.txt`, data!.token, 'x')
    expect(other.error).toMatchObject({ statusCode: '400' })
  })

  it("a signed upload URL for someone else's folder is refused at signing", async () => {
    const { error } = await asA.storage.from(PRIV).createSignedUploadUrl(`${B}/nope.txt`)
    expect(error).toMatchObject({ statusCode: '403' })
  })

  it('a download token cannot be used to upload', async () => {
    const { data } = await asA.storage.from(PRIV).createSignedUrl(`${A}/x.txt`, 60)
    const token = new URL(data!.signedUrl).searchParams.get('token')!
    const r = await client().storage.from(PRIV).uploadToSignedUrl(`${A}/x.txt`, token, 'overwrite', { upsert: true })
    expect(r.error).toMatchObject({ statusCode: '400' })
    expect(await (await asA.storage.from(PRIV).download(`${A}/x.txt`)).data!.text()).toBe('replaced')
  })

  it('case 96: getPublicUrl on a public bucket is fetchable without auth; on a private bucket → 400/404', async () => {
    await asA.storage.from(PUB).upload(`${A}/pub.txt`, 'public bytes', { contentType: 'text/plain' })
    const pub = asA.storage.from(PUB).getPublicUrl(`${A}/pub.txt`)
    const r = await fetch(pub.data.publicUrl)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('public bytes')
    const dl = await fetch(asA.storage.from(PUB).getPublicUrl(`${A}/pub.txt`, { download: true }).data.publicUrl)
    expect(dl.headers.get('content-disposition')).toMatch(/filename="pub.txt"/)
    const priv = await fetch(asA.storage.from(PRIV).getPublicUrl(`${A}/x.txt`).data.publicUrl)
    expect(priv.status).toBe(400)
    expect(await priv.json()).toMatchObject({ statusCode: '404', error: 'Bucket not found' })
  })
})
