/**
 * limit/offset travel as bind parameters: an in-process REST module (same code as the
 * gateway's) whose `authenticator` pool records every statement it prepares. Pages of
 * one read — by `limit`/`offset`, embedded `rel.limit`, or the Range header — run the
 * same statement text with different parameters, the second and later ones from the
 * compiled-read cache; values that are not non-negative integers get PostgREST errors.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StackConfig } from '../../scripts/local-stack/config.ts'
import { closeContext, createContext, type GatewayContext, type GatewayModule } from '../../scripts/local-stack/gateway/context.ts'
import { createRest } from '../../scripts/local-stack/gateway/rest/index.ts'
import { translateKeys } from '../../scripts/local-stack/gateway/server.ts'
import { adminSql, env } from '../helpers/stack.ts'

const sql = adminSql()
const seen: { text: string; params: unknown[] }[] = []
let ctx: GatewayContext
let rest: GatewayModule
let server: Server
let base = ''

/** The pool, with every statement sent on a reserved connection recorded. */
function recording(pool: postgres.Sql): postgres.Sql {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'reserve') return Reflect.get(target, prop, receiver)
      return async () => {
        const c = await target.reserve()
        return new Proxy(c, {
          get(t, p, r) {
            if (p !== 'unsafe') return Reflect.get(t, p, r)
            return (text: string, params?: unknown[], opts?: object) => {
              seen.push({ text, params: params ?? [] })
              return t.unsafe(text, params as never, opts as never)
            }
          },
        })
      }
    },
  })
}

beforeAll(async () => {
  await sql.unsafe(`
    create schema if not exists conformance;
    grant usage on schema conformance to anon, authenticated, service_role;
    drop table if exists conformance.pp_kids, conformance.pp_items;
    create table conformance.pp_items (id int primary key, label text not null);
    create table conformance.pp_kids (id int primary key, item_id int not null references conformance.pp_items(id), name text);
    insert into conformance.pp_items select i, 'item ' || i from generate_series(1, 6) i;
    insert into conformance.pp_kids select i, 1 + (i % 2), 'kid ' || i from generate_series(1, 6) i;
    grant select on conformance.pp_items, conformance.pp_kids to anon;
    notify pgrst, 'reload schema';`)
  server = createServer()
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const db = new URL(env('SUPABASE_DB_URL'))
  const cfg = {
    ports: { db: Number(db.port) },
    dbName: db.pathname.slice(1),
    dbUrl: env('SUPABASE_DB_URL'),
    apiUrl: base,
    exposedSchemas: ['public', 'conformance'],
    keys: {
      jwtSecret: env('SUPABASE_JWT_SECRET'), anonKey: env('SUPABASE_ANON_KEY'), serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
      publishableKey: env('SUPABASE_PUBLISHABLE_KEY'), secretKey: env('SUPABASE_SECRET_KEY'),
    },
  } as unknown as StackConfig
  ctx = createContext(cfg, () => {})
  ctx.api = recording(ctx.api)
  rest = createRest(ctx)
  server.on('request', (req, res) => {
    translateKeys(req, cfg)
    const u = new URL(req.url ?? '/', 'http://localhost')
    rest.handle(req, res, u.pathname.replace(/^\/rest\/v1/, '') || '/', u).catch((e) => {
      res.writeHead(500)
      res.end(String(e))
    })
  })
})

afterAll(async () => {
  await new Promise((r) => server?.close(r))
  await rest?.close?.()
  if (ctx) await closeContext(ctx)
  await sql.unsafe('drop table if exists conformance.pp_kids, conformance.pp_items')
  await sql.end()
})

async function get(query: string, headers: Record<string, string> = {}) {
  const before = seen.length
  const r = await fetch(`${base}/rest/v1/pp_items?${query}`, {
    headers: { apikey: env('SUPABASE_ANON_KEY'), 'accept-profile': 'conformance', ...headers },
  })
  const body = await r.json()
  // The read itself: the statement that builds the JSON body.
  const read = seen.slice(before).find((s) => s.text.includes('json_agg'))
  return { status: r.status, range: r.headers.get('content-range'), body, read }
}

describe('limit and offset as bind parameters', () => {
  it('pages of one read share one statement text; the values are parameters; cached pages get their own values', async () => {
    const shape = 'select=id,kids:pp_kids(id)&order=id&kids.order=id'
    const a = await get(`${shape}&limit=2&offset=1&kids.limit=1`)
    const b = await get(`${shape}&limit=3&offset=0&kids.limit=2`)
    const c = await get(`${shape}&limit=1&offset=4&kids.limit=3`)
    expect(a.status).toBe(200)
    expect(a.body).toEqual([{ id: 2, kids: [{ id: 1 }] }, { id: 3, kids: [] }])
    expect(b.body).toEqual([{ id: 1, kids: [{ id: 2 }, { id: 4 }] }, { id: 2, kids: [{ id: 1 }, { id: 3 }] }, { id: 3, kids: [] }])
    expect(c.body).toEqual([{ id: 5, kids: [] }])
    expect(c.range).toBe('4-4/*')
    expect(a.read && b.read && c.read).toBeTruthy()
    expect(b.read!.text).toBe(a.read!.text)
    expect(c.read!.text).toBe(a.read!.text)
    // No number after limit/offset in the text: only $n parameters.
    expect(a.read!.text).not.toMatch(/\b(limit|offset)\s+\d/i)
    expect(a.read!.text).toMatch(/limit \$\d+::text::bigint/)
    expect(b.read!.params).toEqual(expect.arrayContaining(['3', '0', '2']))
  })

  it('the Range header and the default page (db-max-rows) use the same statement as limit/offset', async () => {
    const plain = await get('select=id&order=id')
    const ranged = await get('select=id&order=id', { range: '2-3' })
    const limited = await get('select=id&order=id&limit=1&offset=5')
    expect(plain.body).toHaveLength(6)
    expect(plain.read!.params).toEqual(expect.arrayContaining(['1000', '0']))
    expect(ranged.body).toEqual([{ id: 3 }, { id: 4 }])
    expect(ranged.range).toBe('2-3/*')
    expect(limited.body).toEqual([{ id: 6 }])
    expect(ranged.read!.text).toBe(plain.read!.text)
    expect(limited.read!.text).toBe(plain.read!.text)
    // A limit over db-max-rows is capped, from the cache too.
    const big = await get('select=id&order=id&limit=5000')
    expect(big.read!.params).toContain('1000')
  })

  it('refuses what is not a non-negative integer, on a first compile and from the cache', async () => {
    await get('select=id&limit=1') // compiled: the next ones share its entry
    for (const bad of ['abc', '1.5', '1e3', '+2', ' 2', '99999999999999999999', `1;drop table conformance.pp_items`]) {
      const r = await get(`select=id&limit=${encodeURIComponent(bad)}`)
      expect(r.status, bad).toBe(400)
      expect(r.body.code, bad).toBe('PGRST100')
      expect(r.body.message, bad).toBe(`failed to parse limit (${bad})`)
      expect(r.read, bad).toBeUndefined()
    }
    const off = await get('select=id&offset=x1')
    expect(off.status).toBe(400)
    expect(off.body.message).toBe('failed to parse offset (x1)')
    const neg = await get('select=id&limit=-1')
    expect(neg.status).toBe(416)
    expect(neg.body).toMatchObject({ code: 'PGRST103', details: 'Limit should be greater than or equal to zero.' })
    const negOffset = await get('select=id&offset=-3')
    expect(negOffset.status).toBe(416)
    expect(negOffset.body.details).toBe('Offset should be greater than or equal to zero.')
    const negEmbed = await get('select=id,pp_kids(id)&pp_kids.limit=-2')
    expect(negEmbed.status).toBe(416)
    const [{ n }] = await sql`select count(*)::int as n from conformance.pp_items`
    expect(n).toBe(6)
  })
})
