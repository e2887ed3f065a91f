/**
 * REST security: hostile input never becomes SQL, and identity only ever
 * comes from a correctly signed JWT (supabase-contract.md §1.11–§1.12).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { adminSql, client, env } from '../helpers/stack.ts'
import { createFixture, mintJwt, rest, tokenClient, type Fixture } from './rest-fixture.ts'

const sql = adminSql()
let fx: Fixture
let T: (x: string) => string
let aliceJwt: string
const prof = { 'accept-profile': 'conformance' }

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

/** The fixture is intact: no statement smuggled through the API ran. */
async function intact() {
  const [r] = await sql`select count(*)::int as n from ${sql('conformance')}.${sql(T('todos'))}`
  expect(r.n).toBeGreaterThanOrEqual(7)
  const [p] = await sql`select to_regclass(${`conformance.${T('profiles')}`})::text as t`
  expect(p.t).not.toBeNull()
}

async function get(path: string, token = aliceJwt, headers: Record<string, string> = prof) {
  const r = await rest(path, { token, headers })
  const text = await r.text()
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers }
}

beforeAll(async () => {
  fx = await createFixture(sql, 'rs')
  T = fx.t
  aliceJwt = await mintJwt(fx.alice)
})
afterAll(() => sql.end())

describe('SQL injection attempts are 400s or literals, never SQL', () => {
  const drop = () => `drop table conformance.${T('profiles')}`

  it('column names in select', async () => {
    const a = await get(`/${T('todos')}?select=${encodeURIComponent(`id,"title; ${drop()}; --"`)}`)
    expect(a.status).toBe(400)
    expect(a.body.code).toBe('42703')
    const b = await get(`/${T('todos')}?select=${encodeURIComponent(`id);${drop()};--`)}`)
    expect(b.status).toBe(400)
    expect(b.body.code).toBe('PGRST100')
    const c = await get(`/${T('todos')}?select=${encodeURIComponent('id,(select 1)')}`)
    expect(c.status).toBe(400)
    await intact()
  })

  it('select aliases with quotes stay literal keys', async () => {
    const alias = `a\\"b; ${drop()};--`
    const r = await get(`/${T('todos')}?select=${encodeURIComponent(`"${alias}":title`)}&id=eq.1`)
    expect(r.status).toBe(200)
    expect(Object.keys(r.body[0])).toEqual([`a"b; ${drop()};--`])
    await intact()
  })

  it('casts and JSON path keys', async () => {
    const c = await get(`/${T('todos')}?select=${encodeURIComponent(`id::text);${drop()};--`)}`)
    expect(c.status).toBe(400)
    expect(c.body.code).toBe('PGRST100')
    const c2 = await get(`/${T('todos')}?select=${encodeURIComponent('id::text[]')}&id=eq.1`)
    expect(c2.status).toBe(400)
    const j = await get(`/${T('todos')}?select=${encodeURIComponent(`id,v:data->>"k'); ${drop()}; --"`)}&id=eq.1`)
    expect(j.status).toBe(200)
    expect(j.body).toEqual([{ id: 1, v: null }])
    await intact()
  })

  it('filter values are bound parameters', async () => {
    const A = tokenClient(aliceJwt).schema('conformance')
    const r = await A.from(T('todos')).select('id').eq('title', `x'; ${drop()}; --`)
    expect(r.status).toBe(200)
    expect(r.data).toEqual([])
    const l = await A.from(T('todos')).select('id').like('title', `%'); ${drop()}; --`)
    expect(l.data).toEqual([])
    const i = await A.from(T('todos')).select('id').in('title', [`a') or true; --`, `x`])
    expect(i.data).toEqual([])
    const q = await A.from(T('todos')).select('id').in('title', [`"}`])
    expect(q.status).toBe(400)
    expect(q.error?.code).toBe('PGRST100')
    const n = await A.from(T('todos')).select('id').eq('id', `1 or 1=1`)
    expect(n.status).toBe(400)
    expect(n.error?.code).toBe('22P02')
    const cs = await A.from(T('todos')).select('id').filter('tags', 'cs', `{x}'::text[]) or true; --`)
    expect(cs.status).toBe(400)
    await intact()
  })

  it('filter keys, operators and logic trees', async () => {
    expect((await get(`/${T('todos')}?${encodeURIComponent(`id;${drop()}`)}=eq.1`)).status).toBe(400)
    const op = await get(`/${T('todos')}?id=${encodeURIComponent(`eq;${drop()}.1`)}`)
    expect(op.status).toBe(400)
    expect(op.body.code).toBe('PGRST100')
    const bad = await get(`/${T('todos')}?id=${encodeURIComponent('exec.1')}`)
    expect(bad.body.code).toBe('PGRST100')
    const or = await get(`/${T('todos')}?or=${encodeURIComponent(`(id.eq.1,title.eq.x);${drop()}`)}`)
    expect(or.status).toBe(400)
    const or2 = await get(`/${T('todos')}?select=id&or=${encodeURIComponent(`(title.eq."') or true; --",id.eq.1)`)}`)
    expect(or2.status).toBe(200)
    expect(or2.body).toEqual([{ id: 1 }])
    const fts = await get(`/${T('todos')}?title=${encodeURIComponent(`fts(english'::regconfig);${drop()}).cat`)}`)
    expect(fts.status).toBe(400)
    const cfg = await get(`/${T('todos')}?title=${encodeURIComponent('fts(no_such_config).cat')}`)
    expect(cfg.status).toBe(400)
    await intact()
  })

  it('order and limit', async () => {
    const o = await get(`/${T('todos')}?order=${encodeURIComponent(`id;${drop()}`)}`)
    expect(o.status).toBe(400)
    const o2 = await get(`/${T('todos')}?order=${encodeURIComponent('id.desc,(select 1)')}`)
    expect(o2.status).toBe(400)
    const o3 = await get(`/${T('todos')}?order=${encodeURIComponent('id.sideways')}`)
    expect(o3.body.code).toBe('PGRST100')
    const l = await get(`/${T('todos')}?limit=${encodeURIComponent(`1;${drop()}`)}`)
    expect(l.status).toBe(400)
    expect(l.body.code).toBe('PGRST100')
    await intact()
  })

  it('on_conflict and columns', async () => {
    const r = await rest(`/${T('todos')}?on_conflict=${encodeURIComponent(`id) do nothing; ${drop()}; --`)}`, {
      method: 'POST', token: aliceJwt, body: JSON.stringify({ id: 1, title: 'x', tenant_id: fx.TA }),
      headers: { 'content-type': 'application/json', 'content-profile': 'conformance', prefer: 'resolution=merge-duplicates' },
    })
    expect(r.status).toBe(400)
    expect((await r.json()).code).toBe('PGRST204')
    const c = await rest(`/${T('todos')}?columns=${encodeURIComponent(`"title","tenant_id) select 1; --"`)}`, {
      method: 'POST', token: aliceJwt, body: JSON.stringify({ title: 'x', tenant_id: fx.TA }),
      headers: { 'content-type': 'application/json', 'content-profile': 'conformance' },
    })
    expect(c.status).toBe(400)
    const k = await rest(`/${T('todos')}`, {
      method: 'POST', token: aliceJwt, body: JSON.stringify({ 'title" text); --': 'x' }),
      headers: { 'content-type': 'application/json', 'content-profile': 'conformance' },
    })
    expect(k.status).toBe(400)
    expect((await k.json()).code).toBe('PGRST204')
    await intact()
  })

  it('table, embed and function names', async () => {
    expect((await get(`/${encodeURIComponent(`${T('todos')};${drop()}`)}`)).body.code).toBe('PGRST205')
    const e = await get(`/${T('todos')}?select=${encodeURIComponent(`*,${T('profiles')}!x";${drop()}(*)`)}`)
    expect(e.status).toBe(400)
    const A = tokenClient(aliceJwt).schema('conformance')
    const f = await A.rpc(`${T('add')}(1,2); ${drop()}; --`)
    expect(f.status).toBe(404)
    await intact()
  })

  it('RPC argument values and names', async () => {
    const A = tokenClient(aliceJwt).schema('conformance')
    const v = await A.rpc(T('hello'), { name: `'); ${drop()}; --` })
    expect(v.data).toBe(`Hello '); ${drop()}; --`)
    const g = await A.rpc(T('hello'), { name: `x'||current_user||'` }, { get: true })
    expect(g.data).toBe(`Hello x'||current_user||'`)
    const n = await A.rpc(T('add'), { 'a" => 1); select 1; --': 1, b: 2 })
    expect(n.status).toBe(404)
    expect(n.error?.code).toBe('PGRST202')
    const t = await A.rpc(T('add'), { a: '1); select 1; --', b: 2 })
    expect(t.status).toBe(400)
    await intact()
  })

  it('headers: profiles, Prefer, Range and values copied into request.headers', async () => {
    const p = await get(`/${T('todos')}`, aliceJwt, { 'accept-profile': `conformance"; ${drop()}; --` })
    expect(p.status).toBe(406)
    expect(p.body.code).toBe('PGRST106')
    const pr = await get(`/${T('todos')}?select=id&id=eq.1`, aliceJwt, { ...prof, prefer: `count=exact; ${drop()}, return=x'y` })
    expect(pr.status).toBe(200)
    const rg = await get(`/${T('todos')}?select=id&id=eq.1`, aliceJwt, { ...prof, range: `0-1; ${drop()}` })
    expect(rg.status).toBe(200)
    const A = tokenClient(aliceJwt, { 'x-test': `'"; ${drop()}; --` }).schema('conformance')
    const w = await A.rpc(T('whoami'))
    expect((w.data as { x_test: string }).x_test).toBe(`'"; ${drop()}; --`)
    await intact()
  })
})

describe('JWT verification', () => {
  const call = (token: string) => rest(`/rpc/${T('whoami')}`, { method: 'POST', token, body: '{}', headers: { 'content-type': 'application/json', 'content-profile': 'conformance' } })

  it('60a. an expired token → 401 PGRST303 "JWT expired" with WWW-Authenticate', async () => {
    const t = await mintJwt(fx.alice, { exp: Math.floor(Date.now() / 1000) - 60 })
    const r = await tokenClient(t).schema('conformance').from(T('todos')).select()
    expect(r.status).toBe(401)
    expect(r.error?.code).toBe('PGRST303')
    expect(r.error?.message).toBe('JWT expired')
    const raw = await call(t)
    expect(raw.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('60b. a tampered signature → 401 PGRST301', async () => {
    const t = aliceJwt.slice(0, -4) + (aliceJwt.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const r = await tokenClient(t).schema('conformance').from(T('todos')).select()
    expect(r.status).toBe(401)
    expect(r.error?.code).toBe('PGRST301')
  })

  it('a token signed with another secret → 401 PGRST301', async () => {
    const t = await mintJwt(fx.alice, { secret: 'another-secret-another-secret-another-secret' })
    const r = await call(t)
    expect(r.status).toBe(401)
    expect((await r.json()).code).toBe('PGRST301')
  })

  it('alg:none is rejected, even claiming service_role or postgres', async () => {
    for (const role of ['authenticated', 'service_role', 'postgres']) {
      const t = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: fx.alice, role, exp: Math.floor(Date.now() / 1000) + 600 })}.`
      const r = await call(t)
      expect(r.status).toBe(401)
      expect((await r.json()).code).toBe('PGRST301')
    }
  })

  it('a forged role claim (postgres, service_role) fails the signature check', async () => {
    for (const role of ['postgres', 'service_role']) {
      const [h, p, s] = aliceJwt.split('.')
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
      const forged = `${h}.${b64({ ...claims, role })}.${s}`
      const r = await call(forged)
      expect(r.status).toBe(401)
      expect((await r.json()).code).toBe('PGRST301')
    }
  })

  it('a user editing sub/tenant claims to become someone else fails the signature check', async () => {
    const [h, p, s] = aliceJwt.split('.')
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    const forged = `${h}.${b64({ ...claims, sub: fx.bob, app_metadata: { tenant_id: fx.TB } })}.${s}`
    const r = await tokenClient(forged).schema('conformance').from(T('todos')).select()
    expect(r.status).toBe(401)
    expect(r.data).toBeNull()
  })

  it('another HMAC algorithm with the right secret (HS384) is not accepted', async () => {
    const t = await new SignJWT({ sub: fx.alice, role: 'authenticated' }).setProtectedHeader({ alg: 'HS384' })
      .setExpirationTime('1h').sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))
    const r = await call(t)
    expect(r.status).toBe(401)
  })

  it('garbage tokens → 401 PGRST301', async () => {
    for (const t of ['abc', 'a.b', 'a.b.c', `${b64({ alg: 'HS256' })}.notjson.sig`]) {
      const r = await call(t)
      expect(r.status).toBe(401)
      expect((await r.json()).code).toBe('PGRST301')
    }
  })

  it('a validly signed token with role postgres cannot switch to it (authenticator is not a member)', async () => {
    const t = await mintJwt(fx.alice, { role: 'postgres' })
    const r = await call(t)
    expect(r.status).toBe(403)
    expect((await r.json()).code).toBe('42501')
  })

  it('a validly signed token with an unknown role → 400 22023', async () => {
    const r = await call(await mintJwt(fx.alice, { role: 'no_such_role' }))
    expect(r.status).toBe(400)
    expect((await r.json()).code).toBe('22023')
  })

  it('no role claim → anon; no Authorization at all → anon', async () => {
    const t = await new SignJWT({ sub: fx.alice }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))
    expect((await (await call(t)).json()).current_user).toBe('anon')
    const r = await fetch(`${env('SUPABASE_URL')}/rest/v1/rpc/${T('whoami')}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'content-profile': 'conformance' } })
    expect((await r.json()).current_user).toBe('anon')
  })
})

describe('isolation between requests', () => {
  it('the role and claims never leak to the next request on a pooled connection', async () => {
    const svc = client('service').schema('conformance')
    const anon = client('anon').schema('conformance')
    const A = tokenClient(aliceJwt).schema('conformance')
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => [svc, anon, A][i % 3].rpc(T('whoami'))))
    results.forEach((r, i) => {
      expect((r.data as { current_user: string }).current_user).toBe(['service_role', 'anon', 'authenticated'][i % 3])
      expect((r.data as { uid: string | null }).uid).toBe(i % 3 === 2 ? fx.alice : null)
    })
  })

  it('an error rolls back every statement of the request (bulk insert)', async () => {
    const A = tokenClient(aliceJwt).schema('conformance')
    const r = await A.from(T('todos')).insert([{ title: 'rollback-me', tenant_id: fx.TA }, { title: null, tenant_id: fx.TA }], { defaultToNull: false })
    expect(r.error?.code).toBe('23502')
    const rows = await sql`select 1 from ${sql('conformance')}.${sql(T('todos'))} where title = 'rollback-me'`
    expect(rows).toHaveLength(0)
  })

  it('a user cannot write into another tenant (WITH CHECK) nor see it', async () => {
    const A = tokenClient(aliceJwt).schema('conformance')
    const w = await A.from(T('todos')).insert({ title: 'intrusion', tenant_id: fx.TB })
    expect(w.status).toBe(403)
    const d = await A.from(T('todos')).delete().eq('tenant_id', fx.TB).select()
    expect(d.data).toEqual([])
    const [c] = await sql`select count(*)::int as n from ${sql('conformance')}.${sql(T('todos'))} where tenant_id = ${fx.TB}`
    expect(c.n).toBe(2)
  })

  it('NOTIFY pgrst reloads the schema cache: a new column becomes selectable', async () => {
    await sql.unsafe(`alter table conformance.${T('tags')} add column if not exists color text default 'red'`)
    await sql`notify pgrst, 'reload schema'`
    const svc = client('service').schema('conformance')
    let last: unknown
    for (let i = 0; i < 50; i++) {
      const r = await svc.from(T('tags')).select('id,color').eq('id', 1)
      last = r
      if (!r.error) break
      await new Promise((res) => setTimeout(res, 100))
    }
    expect((last as { data: unknown }).data).toEqual([{ id: 1, color: 'red' }])
  })
})
