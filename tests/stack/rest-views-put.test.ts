/**
 * REST conformance beyond contract §6: embedding through views (relationships
 * inferred from the base tables, contract §1.3), PUT single-row upserts, and
 * aggregates refused as on Supabase (PGRST123). Real supabase-js where it can
 * express the request, raw HTTP otherwise; RLS decides through the views
 * (security_invoker) exactly as through the tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { adminSql, client } from '../helpers/stack.ts'
import { createFixture, mintJwt, reloadAndWait, rest, tokenClient, type Fixture } from './rest-fixture.ts'

const sql = adminSql()
let fx: Fixture
let A: ReturnType<SupabaseClient['schema']>
let B: ReturnType<SupabaseClient['schema']>
let service: ReturnType<SupabaseClient['schema']>
let T: (x: string) => string
let aliceJwt: string
const cp = { 'accept-profile': 'conformance', 'content-profile': 'conformance', 'content-type': 'application/json' }

beforeAll(async () => {
  fx = await createFixture(sql, 'rv')
  T = fx.t
  const n = (x: string) => `conformance.${T(x)}`
  await sql.unsafe(`
    drop view if exists ${n('todo_list')}, ${n('people')}, ${n('todo_titles')}, ${n('todo_join')} cascade;
    -- a renamed column and a computed one; the FK author_id -> profiles travels as "writer"
    create view ${n('todo_list')} with (security_invoker = true) as
      select t.id as todo_id, t.tenant_id, t.title, t.author_id as writer, upper(t.title) as shout from ${n('todos')} t;
    create view ${n('people')} with (security_invoker = true) as select p.id as person_id, p.name from ${n('profiles')} p;
    -- exposes no key column of the FK: no relationship
    create view ${n('todo_titles')} with (security_invoker = true) as select t.title from ${n('todos')} t;
    grant select on ${n('todo_list')}, ${n('people')}, ${n('todo_titles')} to anon, authenticated, service_role;
  `)
  await reloadAndWait(sql, T('todo_list'))
  aliceJwt = await mintJwt(fx.alice)
  A = tokenClient(aliceJwt).schema('conformance')
  B = tokenClient(await mintJwt(fx.bob)).schema('conformance')
  service = client('service').schema('conformance')
})
afterAll(() => sql.end())

describe('REST embedding through views', () => {
  it('view → table (many-to-one through a renamed FK column), under RLS', async () => {
    const { data, error, status } = await A.from(T('todo_list')).select(`todo_id, shout, author:${T('profiles')}(name)`).order('todo_id')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data!.map((r) => r.todo_id)).toEqual([1, 2, 3, 4, 5])
    expect(data![0]).toEqual({ todo_id: 1, shout: 'FAT CAT SAT', author: { name: 'alice' } })
    expect(data![3]!.author).toBeNull() // todo 4 has no author
  })

  it('table → view (one-to-many, the view on the many side)', async () => {
    const { data, error } = await A.from(T('profiles')).select(`name, ${T('todo_list')}(todo_id)`).eq('name', 'alice')
    expect(error).toBeNull()
    expect(data).toHaveLength(1)
    expect((data![0]![T('todo_list')] as { todo_id: number }[]).map((r) => r.todo_id).sort()).toEqual([1, 2, 3, 5])
  })

  it('view → view, with !inner and an embedded filter', async () => {
    const { data, error } = await A.from(T('todo_list'))
      .select(`todo_id, ${T('people')}!inner(name)`).eq(`${T('people')}.name`, 'alice').order('todo_id')
    expect(error).toBeNull()
    expect(data!.map((r) => r.todo_id)).toEqual([1, 2, 3, 5])
    expect(data![0]![T('people')]).toEqual({ name: 'alice' })
  })

  it('RLS still decides through the view: bob sees only his tenant and his own profile', async () => {
    const { data, error } = await B.from(T('todo_list')).select(`todo_id, ${T('people')}(name)`).order('todo_id')
    expect(error).toBeNull()
    expect(data).toEqual([{ todo_id: 6, [T('people')]: { name: 'bob' } }, { todo_id: 7, [T('people')]: { name: 'bob' } }])
  })

  it('many-to-many from a view through the base junction table', async () => {
    const { data, error } = await A.from(T('todo_list')).select(`todo_id, ${T('tags')}(name)`).eq('todo_id', 1)
    expect(error).toBeNull()
    expect((data![0]![T('tags')] as { name: string }[]).map((t) => t.name).sort()).toEqual(['home', 'work'])
  })

  it('a view exposing none of the key columns has no relationship (PGRST200)', async () => {
    const { error, status } = await A.from(T('todo_titles')).select(`title, ${T('profiles')}(name)`)
    expect(status).toBe(400)
    expect(error?.code).toBe('PGRST200')
  })

  it('embeds between base tables are unchanged by the views over them', async () => {
    const { data, error } = await A.from(T('todos')).select(`id, ${T('profiles')}(name), ${T('tags')}(name)`).eq('id', 1).single()
    expect(error).toBeNull()
    expect(data![T('profiles')]).toEqual({ name: 'alice' })
    expect((data![T('tags')] as unknown[]).length).toBe(2)
  })
})

describe('REST PUT (single-row upsert by primary key)', () => {
  const put = (filter: string, body: unknown, headers: Record<string, string> = {}) =>
    rest(`/${T('tags')}?${filter}`, { method: 'PUT', token: aliceJwt, headers: { ...cp, ...headers }, body: JSON.stringify(body) })

  it('inserts a missing row (204), then replaces it (200 with return=representation)', async () => {
    const r1 = await put('id=eq.50', { id: 50, name: 'fifty' })
    expect(r1.status).toBe(204)
    const r2 = await put('id=eq.50', { id: 50, name: 'fifty v2' }, { prefer: 'return=representation' })
    expect(r2.status).toBe(200)
    expect(await r2.json()).toEqual([{ id: 50, name: 'fifty v2' }])
    const { data } = await service.from(T('tags')).select('id, name').eq('id', 50)
    expect(data).toEqual([{ id: 50, name: 'fifty v2' }])
  })

  it('a single object with the object media type', async () => {
    const r = await put('id=eq.51', { id: 51, name: 'fifty-one' }, { prefer: 'return=representation', accept: 'application/vnd.pgrst.object+json' })
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ id: 51, name: 'fifty-one' })
  })

  it('filters other than every primary key column with eq → 405 PGRST105', async () => {
    for (const f of ['name=eq.x', 'id=gt.50', 'id=eq.50&name=eq.x', '']) {
      const r = await put(f, { id: 50, name: 'x' })
      expect(r.status, f).toBe(405)
      expect((await r.json()).code).toBe('PGRST105')
    }
  })

  it('a body key different from the URL → 400 PGRST115; limit → 400 PGRST114; nothing written', async () => {
    const r = await put('id=eq.52', { id: 53, name: 'x' })
    expect(r.status).toBe(400)
    expect((await r.json()).code).toBe('PGRST115')
    const r2 = await put('id=eq.52&limit=1', { id: 52, name: 'x' })
    expect(r2.status).toBe(400)
    expect((await r2.json()).code).toBe('PGRST114')
    const { data } = await service.from(T('tags')).select('id').in('id', [52, 53])
    expect(data).toEqual([])
  })

  it('RLS: the INSERT and UPDATE policies decide (no policy for anon on todos → 401 42501)', async () => {
    const r = await rest(`/${T('todos')}?id=eq.1`, {
      method: 'PUT', headers: cp, body: JSON.stringify({ id: 1, tenant_id: fx.TA, title: 'hijack' }),
    })
    expect(r.status).toBe(401)
    expect((await r.json()).code).toBe('42501')
    const { data } = await service.from(T('todos')).select('title').eq('id', 1).single()
    expect(data!.title).toBe('fat cat sat')
  })

  it('a member replaces its own row; a column left out becomes its default on insert only', async () => {
    const r = await rest(`/${T('todos')}?id=eq.200`, {
      method: 'PUT', token: aliceJwt, headers: { ...cp, prefer: 'return=representation' },
      body: JSON.stringify({ id: 200, tenant_id: fx.TA, title: 'put me', done: true }),
    })
    expect(r.status).toBe(200)
    const [row] = await r.json()
    expect(row).toMatchObject({ id: 200, title: 'put me', done: true, priority: 0 })
  })
})

describe('REST aggregates (disabled on Supabase)', () => {
  it('count() and col.sum() → 400 PGRST123', async () => {
    const a = await A.from(T('todos')).select('count()')
    expect(a.status).toBe(400)
    expect(a.error?.code).toBe('PGRST123')
    const b = await A.from(T('todos')).select('priority.sum()')
    expect(b.status).toBe(400)
    expect(b.error?.code).toBe('PGRST123')
  })
})
