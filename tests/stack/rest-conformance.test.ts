/**
 * REST conformance (supabase-contract.md §1 and the REST cases of §6): the real
 * supabase-js against the gateway's PostgREST stand-in, under RLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { adminSql, client } from '../helpers/stack.ts'
import { createFixture, mintJwt, rest, tokenClient, type Fixture } from './rest-fixture.ts'

const sql = adminSql()
let fx: Fixture
let A: ReturnType<SupabaseClient['schema']>
let anon: ReturnType<SupabaseClient['schema']>
let service: ReturnType<SupabaseClient['schema']>
let T: (x: string) => string
let aliceJwt: string

const ids = (rows: { id: number }[] | null) => (rows ?? []).map((r) => Number(r.id)).sort((a, b) => a - b)

beforeAll(async () => {
  fx = await createFixture(sql, 'rc')
  T = fx.t
  aliceJwt = await mintJwt(fx.alice)
  A = tokenClient(aliceJwt).schema('conformance')
  anon = client('anon').schema('conformance')
  service = client('service').schema('conformance')
})
afterAll(() => sql.end())

describe('REST reads', () => {
  it('1. anon under RLS sees nothing: 200, []', async () => {
    const r = await anon.from(T('todos')).select()
    expect(r.status).toBe(200)
    expect(r.error).toBeNull()
    expect(r.data).toEqual([])
  })

  it('2. a signed-in user sees only their tenant rows, only the selected keys', async () => {
    const r = await A.from(T('todos')).select('id,title')
    expect(r.error).toBeNull()
    expect(ids(r.data as never)).toEqual([1, 2, 3, 4, 5])
    expect(Object.keys(r.data![0]).sort()).toEqual(['id', 'title'])
  })

  it('3. unknown column → 400 42703; unknown table → 404 PGRST205 with a hint', async () => {
    const r = await A.from(T('todos')).select('id,nope')
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('42703')
    const r2 = await A.from('nope').select()
    expect(r2.status).toBe(404)
    expect(r2.error?.code).toBe('PGRST205')
    expect(r2.error?.message).toBe(`Could not find the table 'conformance.nope' in the schema cache`)
    const r3 = await A.from(T('todo')).select()
    expect(r3.error?.hint).toBe(`Perhaps you meant the table 'conformance.${T('todos')}'`)
  })

  it('4. HEAD with count: data null, exact count, 200', async () => {
    const r = await A.from(T('todos')).select('*', { count: 'exact', head: true })
    expect(r.status).toBe(200)
    expect(r.data).toBeNull()
    expect(r.count).toBe(5)
  })

  it('5. count with a page smaller than the total → 206 and Content-Range off-end/total', async () => {
    const r = await A.from(T('todos')).select('id', { count: 'exact' }).order('id').range(1, 2)
    expect(r.status).toBe(206)
    expect(r.count).toBe(5)
    expect(ids(r.data as never)).toEqual([2, 3])
    const raw = await rest(`/${T('todos')}?select=id&order=id&offset=1&limit=2`, { token: aliceJwt, headers: { prefer: 'count=exact', 'accept-profile': 'conformance' } })
    expect(raw.headers.get('content-range')).toBe('1-2/5')
    const all = await rest(`/${T('todos')}?select=id`, { token: aliceJwt, headers: { prefer: 'count=exact', 'accept-profile': 'conformance' } })
    expect(all.status).toBe(200)
    expect(all.headers.get('content-range')).toBe('0-4/5')
    const none = await rest(`/${T('todos')}?select=id`, { headers: { 'accept-profile': 'conformance' } })
    expect(none.headers.get('content-range')).toBe('*/*')
  })

  it('6. offset past the total with count → 416 PGRST103', async () => {
    const r = await A.from(T('todos')).select('*', { count: 'exact' }).range(10, 19)
    expect(r.status).toBe(416)
    expect(r.error?.code).toBe('PGRST103')
    expect(r.error?.details).toBe('An offset of 10 was requested, but there are only 5 rows.')
  })

  it('7. order desc + limit; nullsFirst', async () => {
    const r = await A.from(T('todos')).select('id').order('created_at', { ascending: false }).limit(2)
    expect((r.data ?? []).map((x) => x.id)).toEqual([5, 4])
    const n = await A.from(T('todos')).select('id,due').order('due', { nullsFirst: true }).order('id')
    expect((n.data ?? []).map((x) => x.id)).toEqual([1, 5, 4, 2, 3])
    const l = await A.from(T('todos')).select('id,due').order('due', { ascending: false, nullsFirst: false }).order('id')
    expect((l.data ?? []).map((x) => x.id)).toEqual([3, 2, 4, 1, 5])
  })

  it('8. single() → an object', async () => {
    const r = await A.from(T('todos')).select('id,title').eq('id', 1).single()
    expect(r.status).toBe(200)
    expect(r.data).toEqual({ id: 1, title: 'fat cat sat' })
  })

  it('9. single() on no row → 406 PGRST116 "The result contains 0 rows"', async () => {
    const r = await A.from(T('todos')).select().eq('id', -1).single()
    expect(r.status).toBe(406)
    expect(r.error?.code).toBe('PGRST116')
    expect(r.error?.details).toBe('The result contains 0 rows')
    const many = await A.from(T('todos')).select().single()
    expect(many.error?.details).toBe('The result contains 5 rows')
  })

  it('10. maybeSingle(): 0 rows → null without error', async () => {
    const r = await A.from(T('todos')).select().eq('id', -1).maybeSingle()
    expect(r.error).toBeNull()
    expect(r.data).toBeNull()
  })

  it('12. in(): numbers, and a quoted value containing a comma', async () => {
    const r = await A.from(T('todos')).select('id').in('id', [1, 2, 3])
    expect(ids(r.data as never)).toEqual([1, 2, 3])
    const q = await A.from(T('todos')).select('id').in('title', ['a,b', 'c'])
    expect(ids(q.data as never)).toEqual([3, 5])
    const e = await A.from(T('todos')).select('id').in('id', [])
    expect(e.data).toEqual([])
  })

  it('13. neq/gt/gte/lt/lte, like, ilike, likeAnyOf, likeAllOf', async () => {
    const q = async (f: (b: ReturnType<typeof A.from>) => PromiseLike<{ data: unknown }>) => ids((await f(A.from(T('todos')))).data as never)
    expect(await q((b) => b.select('id').neq('id', 1))).toEqual([2, 3, 4, 5])
    expect(await q((b) => b.select('id').gt('id', 3))).toEqual([4, 5])
    expect(await q((b) => b.select('id').gte('id', 3))).toEqual([3, 4, 5])
    expect(await q((b) => b.select('id').lt('id', 3))).toEqual([1, 2])
    expect(await q((b) => b.select('id').lte('id', 3))).toEqual([1, 2, 3])
    expect(await q((b) => b.select('id').like('title', '%ui%'))).toEqual([2, 4])
    expect(await q((b) => b.select('id').like('title', '*ui*'))).toEqual([2, 4])
    expect(await q((b) => b.select('id').ilike('title', '%UI%'))).toEqual([2, 4])
    expect(await q((b) => b.select('id').likeAnyOf('title', ['a%', 'c']))).toEqual([2, 3, 4, 5])
    expect(await q((b) => b.select('id').likeAllOf('title', ['a%', '%b%']))).toEqual([3, 4])
    expect(await q((b) => b.select('id').ilikeAnyOf('title', ['FAT%', 'C']))).toEqual([1, 5])
    expect(await q((b) => b.select('id').gt('due', '2024-01-01'))).toEqual([2, 3])
  })

  it('regexMatch / regexIMatch, isDistinct, eq(any)', async () => {
    const q = async (f: (b: ReturnType<typeof A.from>) => PromiseLike<{ data: unknown }>) => ids((await f(A.from(T('todos')))).data as never)
    expect(await q((b) => b.select('id').regexMatch('title', '^a'))).toEqual([2, 3, 4])
    expect(await q((b) => b.select('id').regexIMatch('title', '^FAT'))).toEqual([1])
    expect(await q((b) => b.select('id').filter('due', 'isdistinct', '2024-01-01'))).toEqual([1, 2, 3, 5])
    expect(await q((b) => b.select('id').filter('id', 'eq(any)', '{1,4}'))).toEqual([1, 4])
  })

  it('14. is(null) and not(is, null) are complementary', async () => {
    const a = await A.from(T('todos')).select('id').is('data', null)
    const b = await A.from(T('todos')).select('id').not('data', 'is', null)
    expect(ids(a.data as never)).toEqual([3])
    expect(ids(b.data as never)).toEqual([1, 2, 4, 5])
    const t = await A.from(T('todos')).select('id').is('done', true)
    expect(ids(t.data as never)).toEqual([2, 5])
  })

  it('15. array contains / containedBy / overlaps', async () => {
    expect(ids((await A.from(T('todos')).select('id').contains('tags', ['x'])).data as never)).toEqual([1, 2])
    expect(ids((await A.from(T('todos')).select('id').containedBy('tags', ['x', 'y'])).data as never)).toEqual([1, 2, 4])
    expect(ids((await A.from(T('todos')).select('id').overlaps('tags', ['y', 'z'])).data as never)).toEqual([1, 3, 5])
  })

  it('16. jsonb contains', async () => {
    const r = await A.from(T('todos')).select('id').contains('data', { k: 1 })
    expect(ids(r.data as never)).toEqual([1, 4])
  })

  it('17. or() with nested and()', async () => {
    const r = await A.from(T('todos')).select('id').or('done.eq.true,and(title.like.a*,id.gt.3)')
    expect(ids(r.data as never)).toEqual([2, 4, 5])
    const n = await A.from(T('todos')).select('id').or('id.eq.1,not.and(id.gt.1,id.lt.5)')
    expect(ids(n.data as never)).toEqual([1, 5])
    const quoted = await A.from(T('todos')).select('id').or('title.eq."a,b",title.in.("c","fat cat sat")')
    expect(ids(quoted.data as never)).toEqual([1, 3, 5])
    const andParam = await rest(`/${T('todos')}?select=id&and=(id.gt.1,id.lt.4)`, { token: aliceJwt, headers: { 'accept-profile': 'conformance' } })
    expect(ids(await andParam.json())).toEqual([2, 3])
  })

  it('19. textSearch: to_tsquery, then websearch with a config', async () => {
    const a = await A.from(T('todos')).select('id').textSearch('title', `'fat' & 'cat'`)
    expect(ids(a.data as never)).toEqual([1])
    const b = await A.from(T('todos')).select('id').textSearch('title', 'fat cat', { type: 'websearch', config: 'english' })
    expect(ids(b.data as never)).toEqual([1])
    const c = await A.from(T('todos')).select('id').textSearch('title', 'quick uix', { type: 'plain' })
    expect(ids(c.data as never)).toEqual([2])
    const d = await A.from(T('todos')).select('id').textSearch('title', 'cat sat', { type: 'phrase', config: 'simple' })
    expect(ids(d.data as never)).toEqual([1])
  })

  it('20. filter(in) vs not(in) are complementary; match() ANDs equalities', async () => {
    const a = await A.from(T('todos')).select('id').filter('id', 'in', '(1,2)')
    const b = await A.from(T('todos')).select('id').not('id', 'in', '(1,2)')
    expect(ids(a.data as never)).toEqual([1, 2])
    expect(ids(b.data as never)).toEqual([3, 4, 5])
    const m = await A.from(T('todos')).select('id').match({ done: true, tenant_id: fx.TA })
    expect(ids(m.data as never)).toEqual([2, 5])
  })

  it('21. JSON paths and casts in select and filters', async () => {
    const r = await A.from(T('todos')).select('id,data->>k,data->n,created_at::date,total:priority::text').eq('id', 1).single()
    expect(r.data).toEqual({ id: 1, k: '1', n: [1, 2], created_at: '2024-01-01', total: '1' })
    const f = await A.from(T('todos')).select('id').eq('data->>s', 'v')
    expect(ids(f.data as never)).toEqual([1, 5])
    const j = await A.from(T('todos')).select('id').eq('data->k', 1)
    expect(ids(j.data as never)).toEqual([1, 4])
    const idx = await A.from(T('todos')).select('first:data->n->0').eq('id', 1).single()
    expect(idx.data).toEqual({ first: 1 })
    const o = await A.from(T('todos')).select('id').not('data->>k', 'is', null).order('data->>k', { ascending: false }).order('id')
    expect((o.data ?? []).map((x) => x.id)).toEqual([2, 1, 4])
  })

  it('22. csv() → a string whose header lists the selected columns', async () => {
    const r = await A.from(T('todos')).select('id,title').in('id', [1, 3]).order('id').csv()
    expect(r.error).toBeNull()
    expect(r.data).toBe('id,title\n1,fat cat sat\n3,"a,b"')
  })

  it('23. a schema that is not exposed → 406 PGRST106', async () => {
    const r = await tokenClient(aliceJwt).schema('private').from('x').select()
    expect(r.status).toBe(406)
    expect(r.error?.code).toBe('PGRST106')
    expect(r.error?.message).toBe('Invalid schema: private')
  })

  it('stripNulls() removes null keys', async () => {
    const r = await A.from(T('todos')).select('id,due').eq('id', 1).stripNulls()
    expect(r.data).toEqual([{ id: 1 }])
  })

  it('db-max-rows caps results at 1000; limit 0 gives []', async () => {
    const r = await rest(`/${T('todos')}?select=id&limit=0`, { token: aliceJwt, headers: { 'accept-profile': 'conformance' } })
    expect(await r.json()).toEqual([])
    const neg = await rest(`/${T('todos')}?select=id&limit=-1`, { token: aliceJwt, headers: { 'accept-profile': 'conformance' } })
    expect(neg.status).toBe(416)
    expect((await neg.json()).code).toBe('PGRST103')
  })

  it('Range header paginates like limit/offset', async () => {
    const r = await rest(`/${T('todos')}?select=id&order=id`, { token: aliceJwt, headers: { 'accept-profile': 'conformance', range: '1-2', prefer: 'count=exact' } })
    expect(r.status).toBe(206)
    expect(r.headers.get('content-range')).toBe('1-2/5')
    expect(await r.json()).toEqual([{ id: 2 }, { id: 3 }])
  })

  it('unsupported Accept → 406 PGRST107', async () => {
    const r = await rest(`/${T('todos')}`, { token: aliceJwt, headers: { 'accept-profile': 'conformance', accept: 'application/xml' } })
    expect(r.status).toBe(406)
    expect((await r.json()).code).toBe('PGRST107')
  })

  it('a long query string (≥16 KB) is accepted', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => i + 1)
    const r = await A.from(T('todos')).select('id').in('id', many)
    expect(r.error).toBeNull()
    expect(ids(r.data as never)).toEqual([1, 2, 3, 4, 5])
  })

  it('OpenAPI root lists the tables of the requested schema', async () => {
    const r = await rest('/', { token: aliceJwt, headers: { 'accept-profile': 'conformance', accept: 'application/openapi+json' } })
    expect(r.status).toBe(200)
    const doc = await r.json()
    expect(doc.swagger).toBe('2.0')
    expect(Object.keys(doc.paths)).toContain(`/${T('todos')}`)
  })
})

describe('REST embedding', () => {
  it('24. to-one embed with alias → object or null', async () => {
    const r = await A.from(T('todos')).select(`id,author:${T('profiles')}(name)`).in('id', [1, 4]).order('id')
    expect(r.data).toEqual([{ id: 1, author: { name: 'alice' } }, { id: 4, author: null }])
  })

  it('25. to-many embed → array, [] when none', async () => {
    const r = await A.from(T('profiles')).select(`name,${T('todos')}(id)`).order('name')
    expect(r.error).toBeNull()
    const byName = Object.fromEntries((r.data ?? []).map((p: Record<string, unknown>) => [p.name, ids(p[T('todos')] as never)]))
    expect(byName).toEqual({ alice: [1, 2, 3, 5], carol: [] })
  })

  it('26. many-to-many through the junction table', async () => {
    const r = await service.from(T('todos')).select(`id,${T('tags')}(name)`).in('id', [1, 2, 3]).order('id')
    expect(r.error).toBeNull()
    const tags = (r.data ?? []).map((t: Record<string, unknown>) => ((t[T('tags')] as { name: string }[]).map((x) => x.name).sort()))
    expect(tags).toEqual([['home', 'work'], ['work'], []])
  })

  it('27. nested embeds and embedded filters keep parents', async () => {
    const r = await A.from(T('profiles')).select(`name,${T('todos')}(id,author:${T('profiles')}(name))`).eq(`${T('todos')}.done`, true).order('name')
    expect(r.data).toEqual([
      { name: 'alice', [T('todos')]: [{ id: 2, author: { name: 'alice' } }, { id: 5, author: { name: 'alice' } }] },
      { name: 'carol', [T('todos')]: [] },
    ])
  })

  it('28. !inner drops parents without a matching child; filters on the embed apply', async () => {
    const r = await A.from(T('todos')).select(`id,${T('profiles')}!inner(name)`).eq(`${T('profiles')}.name`, 'alice')
    expect(ids(r.data as never)).toEqual([1, 2, 3, 5])
    const none = await A.from(T('todos')).select(`id,${T('profiles')}!inner(name)`).eq(`${T('profiles')}.name`, 'nobody')
    expect(none.data).toEqual([])
  })

  it('29. empty embed + not(rel, is, null) filters parents', async () => {
    const r = await A.from(T('profiles')).select(`name,${T('todos')}()`).eq(`${T('todos')}.done`, true).not(T('todos'), 'is', null)
    expect(r.data).toEqual([{ name: 'alice' }])
    const anti = await A.from(T('profiles')).select(`name,${T('todos')}()`).is(T('todos'), null)
    expect(anti.data).toEqual([{ name: 'carol' }])
  })

  it('30. an embedded filter on a relation not in select → 400 PGRST108; other operators on a relation → PGRST120', async () => {
    const r = await A.from(T('profiles')).select('name').eq(`${T('todos')}.done`, true)
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('PGRST108')
    const e = await A.from(T('profiles')).select(`name,${T('todos')}(id)`).eq(T('todos'), 1)
    expect(e.status).toBe(400)
    expect(e.error?.code).toBe('PGRST120')
  })

  it('31. referencedTable order + limit sort and cut only the embedded arrays', async () => {
    const r = await A.from(T('profiles')).select(`name,${T('todos')}(title)`).order('name')
      .order('title', { referencedTable: T('todos'), ascending: false }).limit(1, { referencedTable: T('todos') })
    expect(r.data).toEqual([
      { name: 'alice', [T('todos')]: [{ title: 'fat cat sat' }] },
      { name: 'carol', [T('todos')]: [] },
    ])
    const off = await A.from(T('profiles')).select(`name,${T('todos')}(id)`).eq('name', 'alice')
      .order('id', { referencedTable: T('todos') }).range(1, 2, { referencedTable: T('todos') })
    expect(off.data).toEqual([{ name: 'alice', [T('todos')]: [{ id: 2 }, { id: 3 }] }])
    const or = await A.from(T('profiles')).select(`name,${T('todos')}(id)`).eq('name', 'alice').or('id.eq.1,id.eq.5', { referencedTable: T('todos') })
    expect(ids((or.data![0] as Record<string, never>)[T('todos')])).toEqual([1, 5])
  })

  it('32. order parents by a to-one embed column; on a to-many → 400 PGRST118', async () => {
    const r = await service.from(T('todos')).select(`id,${T('profiles')}(name)`).in('id', [1, 6]).order('name', { referencedTable: T('profiles') })
    // postgrest-js sends profiles.order for referencedTable; order parents with the rel(col) form:
    expect(r.error).toBeNull()
    const raw = await rest(`/${T('todos')}?select=id,${T('profiles')}(name)&id=in.(1,6)&order=${T('profiles')}(name).desc`, { token: await mintJwt(fx.bob, { role: 'service_role' }), headers: { 'accept-profile': 'conformance' } })
    expect((await raw.json()).map((x: { id: number }) => x.id)).toEqual([6, 1])
    const bad = await rest(`/${T('profiles')}?select=name,${T('todos')}(id)&order=${T('todos')}(id)`, { token: aliceJwt, headers: { 'accept-profile': 'conformance' } })
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('PGRST118')
  })

  it('33. unknown relationship → 400 PGRST200', async () => {
    const r = await A.from(T('todos')).select('*,unknown_rel(*)')
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('PGRST200')
    expect(r.error?.message).toBe(`Could not find a relationship between '${T('todos')}' and 'unknown_rel' in the schema cache`)
  })

  it('34. two FKs without a hint → 300 PGRST201; with the FK name or column → 200', async () => {
    const r = await service.from(T('notes')).select(`id,${T('profiles')}(*)`)
    expect(r.status).toBe(300)
    expect(r.error?.code).toBe('PGRST201')
    expect(Array.isArray(r.error?.details)).toBe(true)
    expect(r.error?.hint).toContain(`'${T('profiles')}!rc_notes_author_id_fkey'`)
    const ok = await service.from(T('notes')).select(`id,${T('profiles')}!rc_notes_author_id_fkey(name)`)
    expect(ok.status).toBe(200)
    expect(ok.data).toEqual([{ id: 1, [T('profiles')]: { name: 'alice' } }])
    const byCol = await service.from(T('notes')).select(`id,editor:${T('profiles')}!editor_id(name)`)
    expect(byCol.data).toEqual([{ id: 1, editor: { name: 'carol' } }])
  })

  it('35. spread of a to-one embed lifts columns to the parent; of a to-many makes arrays', async () => {
    const r = await A.from(T('todos')).select(`title,...${T('profiles')}(author_name:name)`).eq('id', 1).single()
    expect(r.data).toEqual({ title: 'fat cat sat', author_name: 'alice' })
    const m = await A.from(T('profiles')).select(`name,...${T('todos')}(id)`).eq('name', 'alice').single()
    expect((m.data as { id: number[] }).id.sort()).toEqual([1, 2, 3, 5])
  })
})

describe('REST writes', () => {
  it('36. insert → 201, data null, error null', async () => {
    const r = await A.from(T('todos')).insert({ title: 'x', tenant_id: fx.TA })
    expect(r.status).toBe(201)
    expect(r.data).toBeNull()
    expect(r.error).toBeNull()
  })

  it('37. insert().select().single() → 201 and the row with its defaults', async () => {
    const r = await A.from(T('todos')).insert({ title: 'with defaults', tenant_id: fx.TA }).select().single()
    expect(r.status).toBe(201)
    const row = r.data as Record<string, unknown>
    expect(row.title).toBe('with defaults')
    expect(row.done).toBe(false)
    expect(typeof row.id).toBe('number')
    expect(typeof row.created_at).toBe('string')
    expect(row.tags).toEqual([])
  })

  it('38. bulk insert with defaultToNull:false uses defaults for missing keys', async () => {
    const r = await A.from(T('todos')).insert([{ title: 'b1', tenant_id: fx.TA, priority: 9 }, { title: 'b2', tenant_id: fx.TA }], { defaultToNull: false }).select('title,priority')
    expect(r.status).toBe(201)
    expect((r.data ?? []).sort((a, b) => a.title.localeCompare(b.title))).toEqual([{ title: 'b1', priority: 9 }, { title: 'b2', priority: 0 }])
  })

  it('39. insert with count → count, and embedding in the returned rows', async () => {
    const r = await A.from(T('todos')).insert([{ title: 'c1', tenant_id: fx.TA, author_id: fx.alice }], { count: 'exact' }).select(`title,${T('profiles')}(name)`)
    expect(r.count).toBe(1)
    expect(r.data).toEqual([{ title: 'c1', [T('profiles')]: { name: 'alice' } }])
  })

  it('40. NOT NULL violation → 400 23502; bad uuid → 400 22P02', async () => {
    const r = await A.from(T('todos')).insert({ title: null, tenant_id: fx.TA })
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('23502')
    const u = await A.from(T('todos')).select().eq('tenant_id', 'abc')
    expect(u.status).toBe(400)
    expect(u.error?.code).toBe('22P02')
    expect(u.error?.message).toBe('invalid input syntax for type uuid: "abc"')
  })

  it('41. duplicate → 409 23505 with details; missing FK target → 409 23503', async () => {
    const r = await service.from(T('profiles')).insert({ id: crypto.randomUUID(), tenant_id: fx.TA, name: 'dup', email: 'alice@example.fr' })
    expect(r.status).toBe(409)
    expect(r.error?.code).toBe('23505')
    expect(r.error?.details).toBe('Key (email)=(alice@example.fr) already exists.')
    const f = await A.from(T('todos')).insert({ title: 'fk', tenant_id: fx.TA, author_id: crypto.randomUUID() })
    expect(f.status).toBe(409)
    expect(f.error?.code).toBe('23503')
  })

  it('42. unknown body key → 400 PGRST204; invalid JSON → 400 PGRST102', async () => {
    const r = await A.from(T('todos')).insert({ nope: 1 } as never)
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('PGRST204')
    expect(r.error?.message).toBe(`Could not find the 'nope' column of '${T('todos')}' in the schema cache`)
    const bad = await rest(`/${T('todos')}`, { method: 'POST', token: aliceJwt, body: '{"title":', headers: { 'content-type': 'application/json', 'content-profile': 'conformance' } })
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('PGRST102')
  })

  it('43. columns= restricts the inserted keys', async () => {
    const r = await rest(`/${T('todos')}?columns="title","tenant_id"&select=title,priority`, {
      method: 'POST', token: aliceJwt,
      headers: { 'content-type': 'application/json', 'content-profile': 'conformance', prefer: 'return=representation' },
      body: JSON.stringify([{ title: 'cols', tenant_id: fx.TA, priority: 77, ignored_key: 1 }]),
    })
    expect(r.status).toBe(201)
    expect(await r.json()).toEqual([{ title: 'cols', priority: 0 }])
  })

  it('44. bulk insert without defaultToNull:false → missing NOT NULL key is NULL → 400 23502', async () => {
    const r = await A.from(T('todos')).insert([{ title: 'n1', tenant_id: fx.TA, done: true }, { title: 'n2', tenant_id: fx.TA }])
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('23502')
  })

  it('45. upsert on an existing id → 200 and updated; a new id → 201', async () => {
    const r = await A.from(T('todos')).upsert({ id: 3, title: 'a,b updated', tenant_id: fx.TA }).select()
    expect(r.status).toBe(200)
    expect((r.data as { title: string }[])[0].title).toBe('a,b updated')
    const n = await A.from(T('todos')).upsert({ id: 500, title: 'new', tenant_id: fx.TA }).select()
    expect(n.status).toBe(201)
  })

  it('46. upsert ignoreDuplicates keeps the old row; onConflict uses another unique key', async () => {
    const r = await A.from(T('todos')).upsert({ id: 500, title: 'ignored', tenant_id: fx.TA }, { ignoreDuplicates: true }).select()
    expect(r.status).toBe(201)
    expect(r.data).toEqual([])
    const still = await A.from(T('todos')).select('title').eq('id', 500).single()
    expect(still.data).toEqual({ title: 'new' })
    const e = await service.from(T('profiles')).upsert({ id: fx.carol, tenant_id: fx.TA, name: 'carol2', email: 'carol@example.fr' }, { onConflict: 'email' }).select('name')
    expect(e.error).toBeNull()
    expect(e.data).toEqual([{ name: 'carol2' }])
    const bad = await service.from(T('profiles')).upsert({ id: fx.carol, name: 'x', tenant_id: fx.TA }, { onConflict: 'nope' })
    expect(bad.error?.code).toBe('PGRST204')
  })

  it('48. update().eq().select() → 200 with the row; without select → 204', async () => {
    const r = await A.from(T('todos')).update({ done: true }).eq('id', 1).select('id,done')
    expect(r.status).toBe(200)
    expect(r.data).toEqual([{ id: 1, done: true }])
    const m = await A.from(T('todos')).update({ done: false }).eq('id', 1)
    expect(m.status).toBe(204)
    expect(m.data).toBeNull()
  })

  it('49. update with count; rows hidden by RLS are not an error (0 rows)', async () => {
    const r = await A.from(T('todos')).update({ priority: 10 }, { count: 'exact' }).in('id', [1, 2, 6])
    expect(r.error).toBeNull()
    expect(r.count).toBe(2)
    const hidden = await A.from(T('todos')).update({ title: 'hacked' }).eq('id', 6).select()
    expect(hidden.status).toBe(200)
    expect(hidden.data).toEqual([])
    const [row] = await sql`select title from ${sql(`conformance`)}.${sql(T('todos'))} where id = 6`
    expect(row.title).toBe('bob todo')
  })

  it('50. update/delete without any filter → 400 21000', async () => {
    const u = await A.from(T('todos')).update({ done: true })
    expect(u.status).toBe(400)
    expect(u.error?.code).toBe('21000')
    expect(u.error?.message).toBe('UPDATE requires a WHERE clause')
    const d = await A.from(T('todos')).delete()
    expect(d.status).toBe(400)
    expect(d.error?.message).toBe('DELETE requires a WHERE clause')
    const [c] = await sql`select count(*)::int as n from ${sql('conformance')}.${sql(T('todos'))}`
    expect(c.n).toBeGreaterThan(5)
  })

  it('51. delete → 204; delete with count → count', async () => {
    const ins = await A.from(T('todos')).insert([{ title: 'd1', tenant_id: fx.TA }, { title: 'd2', tenant_id: fx.TA }, { title: 'd3', tenant_id: fx.TA }]).select('id')
    const [a, b, c] = (ins.data ?? []).map((x) => x.id)
    const r = await A.from(T('todos')).delete().eq('id', a)
    expect(r.status).toBe(204)
    const n = await A.from(T('todos')).delete({ count: 'exact' }).in('id', [b, c])
    expect(n.count).toBe(2)
    const rep = await A.from(T('todos')).delete().eq('id', b).select()
    expect(rep.data).toEqual([])
  })

  it('52. update violating WITH CHECK → 403 42501', async () => {
    const r = await A.from(T('todos')).update({ tenant_id: fx.TB }).eq('id', 2)
    expect(r.status).toBe(403)
    expect(r.error?.code).toBe('42501')
    expect(r.error?.message).toContain('row-level security')
  })

  it('53. maxAffected(1) hitting 2 rows → 400 PGRST124 and nothing changed', async () => {
    const r = await A.from(T('todos')).update({ priority: 42 }).in('id', [1, 2]).maxAffected(1)
    expect(r.status).toBe(400)
    expect(r.error?.code).toBe('PGRST124')
    const rows = await sql`select priority from ${sql('conformance')}.${sql(T('todos'))} where id in (1, 2)`
    expect(rows.map((x) => x.priority)).not.toContain(42)
  })

  it('single() on a write that touches 2 rows → 406 and rolled back', async () => {
    const r = await A.from(T('todos')).update({ priority: 43 }).in('id', [1, 2]).select().single()
    expect(r.status).toBe(406)
    const rows = await sql`select priority from ${sql('conformance')}.${sql(T('todos'))} where id in (1, 2)`
    expect(rows.map((x) => x.priority)).not.toContain(43)
  })

  it('§1.13 insert: minimal checks only WITH CHECK; RETURNING also needs the SELECT policy', async () => {
    const ok = await A.from(T('drop_box')).insert({ msg: 'hi' })
    expect(ok.status).toBe(201)
    const r = await A.from(T('drop_box')).insert({ msg: 'hi' }).select()
    expect(r.status).toBe(403)
    expect(r.error?.code).toBe('42501')
    expect(r.error?.message).toContain('new row violates row-level security policy')
  })

  it('anon hitting an RLS WITH CHECK or a missing grant → 401 42501', async () => {
    const r = await anon.from(T('todos')).insert({ title: 'anon', tenant_id: fx.TA })
    expect(r.status).toBe(401)
    expect(r.error?.code).toBe('42501')
    const s = await A.from(T('secrets')).select()
    expect(s.status).toBe(403)
    expect(s.error?.message).toBe(`permission denied for table ${T('secrets')}`)
  })

  it('return=headers-only → 201 with a Location header', async () => {
    const r = await rest(`/${T('todos')}`, {
      method: 'POST', token: aliceJwt,
      headers: { 'content-type': 'application/json', 'content-profile': 'conformance', prefer: 'return=headers-only' },
      body: JSON.stringify({ id: 900, title: 'loc', tenant_id: fx.TA }),
    })
    expect(r.status).toBe(201)
    expect(r.headers.get('location')).toBe(`/${T('todos')}?id=eq.900`)
  })
})

describe('REST RPC', () => {
  it('54. scalar result; void → 204', async () => {
    const r = await A.rpc(T('add'), { a: 1, b: 2 })
    expect(r.data).toBe(3)
    const v = await A.rpc(T('noop'))
    expect(v.status).toBe(204)
    expect(v.data).toBeNull()
  })

  it('55. setof table: filters, order and select apply', async () => {
    const r = await A.rpc(T('my_todos')).select('id').eq('done', false).order('id')
    expect((r.data as { id: number }[]).map((x) => x.id).slice(0, 3)).toEqual([1, 3, 4])
    expect((r.data as { id: number }[]).every((x) => Object.keys(x).length === 1)).toBe(true)
    const s = await A.rpc(T('my_todos')).select(`id,${T('profiles')}(name)`).eq('id', 1).single()
    expect(s.data).toEqual({ id: 1, [T('profiles')]: { name: 'alice' } })
  })

  it('56. unknown function → 404 PGRST202', async () => {
    const r = await A.rpc('missing_fn', { x: 1 })
    expect(r.status).toBe(404)
    expect(r.error?.code).toBe('PGRST202')
    expect(r.error?.message).toBe('Could not find the function conformance.missing_fn(x) in the schema cache')
    const wrongArgs = await A.rpc(T('add'), { a: 1 })
    expect(wrongArgs.error?.code).toBe('PGRST202')
  })

  it('57. GET on a volatile function that writes → 405 25006', async () => {
    const r = await A.rpc(T('writes_volatile'), {}, { get: true })
    expect(r.status).toBe(405)
    expect(r.error?.code).toBe('25006')
    const ok = await A.rpc(T('writes_volatile'))
    expect(ok.error).toBeNull()
    expect(typeof ok.data).toBe('number')
  })

  it('58. RAISE EXCEPTION → 400 P0001 with message, detail, hint; PTxyz → status xyz', async () => {
    const r = await A.rpc(T('raises'))
    expect(r.status).toBe(400)
    expect(r.error).toMatchObject({ code: 'P0001', message: 'nope', hint: 'h', details: 'd' })
    const p = await A.rpc(T('custom_status'))
    expect(p.status).toBe(402)
    expect(p.error?.message).toBe('pay up')
  })

  it('59. whoami sees the JWT identity, role, method, path, headers, cookies', async () => {
    const c = tokenClient(aliceJwt, { 'x-test': 'yes', cookie: 'c1=v1; c2=v2' }).schema('conformance')
    const r = await c.rpc(T('whoami'))
    expect(r.error).toBeNull()
    expect(r.data).toMatchObject({
      uid: fx.alice, role: 'authenticated', method: 'POST', path: `/rpc/${T('whoami')}`, x_test: 'yes', cookie: 'v1', current_user: 'authenticated',
    })
    expect((r.data as { search_path: string }).search_path).toBe('"conformance", "public", "extensions"')
    const g = await c.rpc(T('whoami'), {}, { get: true })
    expect((g.data as { method: string }).method).toBe('GET')
    const a = await anon.rpc(T('whoami'))
    expect(a.data).toMatchObject({ uid: null, role: 'anon', current_user: 'anon', timeout: '3s' })
  })

  it('single unnamed json param, defaults, TABLE returns, setof scalar, arrays, GET args', async () => {
    expect((await A.rpc(T('echo'), { any: [1, { b: 2 }] })).data).toEqual({ any: [1, { b: 2 }] })
    expect((await A.rpc(T('hello'))).data).toBe('Hello world')
    expect((await A.rpc(T('hello'), { name: 'Zoé' }, { get: true })).data).toBe('Hello Zoé')
    expect((await A.rpc(T('pairs'), { n: 3 }).gt('x', 1)).data).toEqual([{ x: 2, y: 'v2' }, { x: 3, y: 'v3' }])
    expect((await A.rpc(T('series'), { n: 4 })).data).toEqual([1, 2, 3, 4])
    expect((await A.rpc(T('arr_sum'), { xs: [1, 2, 3] })).data).toBe(6)
    expect((await A.rpc(T('arr_sum'), { xs: [4, 5] }, { get: true })).data).toBe(9)
    const one = await A.rpc(T('first_todo'))
    expect((one.data as { id: number }).id).toBe(1)
  })

  it('overloads: picked by argument names; HEAD with count', async () => {
    expect((await A.rpc(T('overloaded'), { a: 1, b: 2 })).data).toBe('two')
    const amb = await A.rpc(T('overloaded'), { a: 1 })
    expect(amb.status).toBe(300)
    expect(amb.error?.code).toBe('PGRST203')
    const h = await A.rpc(T('pairs'), { n: 5 }, { head: true, count: 'exact' })
    expect(h.status).toBe(200)
    expect(h.count).toBe(5)
    expect(h.data).toBeNull()
  })

  it('61. the service key reads every tenant (BYPASSRLS)', async () => {
    const r = await service.from(T('todos')).select('tenant_id').in('id', [1, 6])
    expect(new Set((r.data ?? []).map((x) => x.tenant_id))).toEqual(new Set([fx.TA, fx.TB]))
  })

  it('the opaque secret and publishable keys map to service_role and anon', async () => {
    const { env } = await import('../helpers/stack.ts')
    const sec = await fetch(`${env('SUPABASE_URL')}/rest/v1/rpc/${T('whoami')}`, { method: 'POST', headers: { apikey: env('SUPABASE_SECRET_KEY'), 'content-profile': 'conformance', 'content-type': 'application/json' }, body: '{}' })
    expect((await sec.json()).current_user).toBe('service_role')
    const pub = await fetch(`${env('SUPABASE_URL')}/rest/v1/rpc/${T('whoami')}`, { method: 'POST', headers: { apikey: env('SUPABASE_PUBLISHABLE_KEY'), 'content-profile': 'conformance', 'content-type': 'application/json' }, body: '{}' })
    expect((await pub.json()).current_user).toBe('anon')
  })
})
