/**
 * pg_net on the stack: `net.http_*` calls reach real HTTP servers through the
 * worker and their responses are recorded as pg_net records them; the jobs
 * helpers `private.invoke_edge_function` and `private.schedule_job`.
 */
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../scripts/local-stack/config.ts'
import { perform } from '../../scripts/local-stack/pgnet/worker.ts'
import { adminSql, env } from '../helpers/stack.ts'

const sql = adminSql()

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}
const seen: Seen[] = []
let server: Server
let base = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      if (req.url?.startsWith('/hang')) return // never answers: the caller's timeout decides
      if (req.url?.startsWith('/empty')) {
        res.writeHead(204)
        return void res.end()
      }
      res.writeHead(req.url?.startsWith('/teapot') ? 418 : 200, { 'content-type': 'application/json', 'x-probe': 'yes' })
      res.end(JSON.stringify({ echo: body ? JSON.parse(body) : null, method: req.method }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await sql.end()
})

interface NetResponse {
  id: string
  status_code: number | null
  content_type: string | null
  headers: Record<string, string> | null
  content: string | null
  timed_out: boolean | null
  error_msg: string | null
}

async function response(id: string | number, ms = 20_000): Promise<NetResponse> {
  const deadline = Date.now() + ms
  for (;;) {
    const [r] = await sql<NetResponse[]>`select * from net._http_response where id = ${id}`
    if (r) return r
    if (Date.now() > deadline) throw new Error(`no pg_net response for request ${id}`)
    await new Promise((res) => setTimeout(res, 50))
  }
}
const lastSeen = (path: string) => seen.filter((s) => s.url.startsWith(path)).at(-1)

describe('pg_net requests', () => {
  it('net.http_post reaches a real HTTP server and the response is recorded', async () => {
    const [{ id }] = await sql`select net.http_post(${base + '/post'}, '{"hello":"monde"}'::jsonb) as id`
    const r = await response(id)
    expect(r.status_code).toBe(200)
    expect(r.content_type).toBe('application/json')
    expect(JSON.parse(r.content!)).toEqual({ echo: { hello: 'monde' }, method: 'POST' })
    expect(r.headers?.['x-probe']).toBe('yes')
    expect(r).toMatchObject({ timed_out: false, error_msg: null })
    const req = lastSeen('/post')!
    expect(req.method).toBe('POST')
    expect(req.headers['content-type']).toBe('application/json')
    const [q] = await sql`select count(*)::int as n from net.http_request_queue where id = ${id}`
    expect(q.n).toBe(0)
  })

  it('http_post sends the caller headers and url-encoded params', async () => {
    const [{ id }] = await sql`select net.http_post(
      url := ${base + '/params'}, body := '{"n":1}'::jsonb,
      params := '{"q":"rue de la Paix & co","é":"1"}'::jsonb,
      headers := '{"Content-Type":"application/json","X-Trace":"abc"}'::jsonb) as id`
    expect((await response(id)).status_code).toBe(200)
    const req = lastSeen('/params')!
    const url = new URL(req.url, base)
    expect(url.searchParams.get('q')).toBe('rue de la Paix & co')
    expect(url.searchParams.get('é')).toBe('1')
    expect(req.headers['x-trace']).toBe('abc')
  })

  it('http_post adds Content-Type: application/json when the headers omit it, and refuses another type', async () => {
    const [{ id }] = await sql`select net.http_post(${base + '/noctype'}, '{}'::jsonb, '{}'::jsonb, '{"X-A":"1"}'::jsonb) as id`
    await response(id)
    expect(lastSeen('/noctype')!.headers['content-type']).toBe('application/json')
    await expect(sql`select net.http_post(${base}, '{}'::jsonb, '{}'::jsonb, '{"Content-Type":"text/plain"}'::jsonb)`)
      .rejects.toThrow(/Content-Type header must be "application\/json"/)
  })

  it('net.http_get appends params to a url that already has a query and records non-2xx statuses', async () => {
    const [{ id }] = await sql`select net.http_get(${base + '/teapot?a=1'}, '{"b":"2"}'::jsonb) as id`
    const r = await response(id)
    expect(r.status_code).toBe(418)
    expect(lastSeen('/teapot')!.url).toBe('/teapot?a=1&b=2')
    expect(lastSeen('/teapot')!.method).toBe('GET')
  })

  it('net.http_delete sends a DELETE', async () => {
    const [{ id }] = await sql`select net.http_delete(${base + '/thing/1'}) as id`
    expect((await response(id)).status_code).toBe(200)
    expect(lastSeen('/thing/1')!.method).toBe('DELETE')
  })

  it('an empty body is recorded as null content', async () => {
    const [{ id }] = await sql`select net.http_get(${base + '/empty'}) as id`
    const r = await response(id)
    expect(r.status_code).toBe(204)
    expect(r.content).toBeNull()
  })

  it('a request over its timeout is recorded as timed out, without a status', async () => {
    const [{ id }] = await sql`select net.http_get(url := ${base + '/hang'}, timeout_milliseconds := 300) as id`
    const r = await response(id)
    expect(r.status_code).toBeNull()
    expect(r.timed_out).toBe(true)
    expect(r.error_msg).toMatch(/^Timeout of 300 ms reached/)
  })

  it('a refused connection is recorded with an error message', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const [{ id }] = await sql`select net.http_get(${`http://127.0.0.1:${port}/`}) as id`
    const r = await response(id)
    expect(r.status_code).toBeNull()
    expect(r.timed_out).toBe(false)
    expect(r.error_msg).toBeTruthy()
  })

  it('many requests queued in one transaction all complete, each once', { timeout: 60_000 }, async () => {
    const ids = await sql`select net.http_post(${base + '/many/'} || g, jsonb_build_object('g', g)) as id from generate_series(1, 40) g`
    const rs = await Promise.all(ids.map((r) => response(r.id, 45_000)))
    expect(rs.every((r) => r.status_code === 200)).toBe(true)
    const [dups] = await sql`select count(*)::int as n from (select id from net._http_response where id = any(${sql.array(ids.map((r) => r.id))}::bigint[]) group by id having count(*) > 1) d`
    expect(dups.n).toBe(0)
  })

  it('a request queued in a rolled-back transaction is never sent', async () => {
    const marker = `/rolledback-${Date.now()}`
    await sql.begin(async (tx) => {
      await tx`select net.http_get(${base + marker})`
      throw new Error('rollback')
    }).catch(() => {})
    // A committed request sent afterwards completes; the rolled-back one never arrived before it.
    const [{ id }] = await sql`select net.http_get(${base + '/after-rollback'}) as id`
    await response(id)
    expect(lastSeen(marker)).toBeUndefined()
  })

  it('service_role may call net.http_get; anon and authenticated may not', async () => {
    const id = await sql.begin(async (tx) => {
      await tx`set local role service_role`
      return (await tx`select net.http_get(${base + '/svc'}) as id`)[0].id
    })
    expect((await response(id)).status_code).toBe(200)
    for (const role of ['anon', 'authenticated']) {
      await expect(
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`)
          await tx`select net.http_get(${base + '/denied'})`
        }),
      ).rejects.toThrow(/permission denied/)
    }
  })
})

describe('pg_net worker internals', () => {
  it('perform() maps a response the way pg_net records it', async () => {
    const r = await perform({ id: 7, method: 'POST', url: `${base}/direct`, headers: { 'Content-Type': 'application/json' }, body: new TextEncoder().encode('{"d":1}'), timeout_milliseconds: 5000 })
    expect(r).toMatchObject({ id: 7, status_code: 200, content_type: 'application/json', timed_out: false, error_msg: null })
    expect(JSON.parse(r.content!)).toEqual({ echo: { d: 1 }, method: 'POST' })
  })
})

// The edge-function path depends on the functions runner (built in parallel):
// these run once `hello-world` exists and the gateway serves it.
const helloFile = existsSync(join(ROOT, 'supabase/functions/hello-world/index.ts'))
async function gatewayServesHello(): Promise<{ status: number } | undefined> {
  if (!helloFile) return undefined
  try {
    const r = await fetch(`${env('SUPABASE_URL')}/functions/v1/hello-world`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env('SUPABASE_SERVICE_ROLE_KEY')}` },
      body: JSON.stringify({ name: 'pg_net' }),
    })
    await r.body?.cancel()
    return r.status === 404 || r.status === 501 ? undefined : { status: r.status }
  } catch {
    return undefined
  }
}
const direct = await gatewayServesHello()
const edgeIt = direct ? it : it.skip
const edgeReason = direct ? '' : ' [skipped: supabase/functions/hello-world is not served by the gateway yet]'

describe('pg_net → edge functions', () => {
  edgeIt(`net.http_post reaches the hello-world edge function through the gateway${edgeReason}`, async () => {
    const [{ id }] = await sql`select net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/hello-world',
      body := '{"name":"pg_net"}'::jsonb,
      headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization',
        'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'))) as id`
    const r = await response(id)
    expect(r.error_msg).toBeNull()
    expect(r.status_code).toBe(direct!.status)
    expect(r.status_code! >= 200 && r.status_code! < 300).toBe(true)
  })

  edgeIt(`private.invoke_edge_function calls hello-world end to end${edgeReason}`, async () => {
    const [{ id }] = await sql`select private.invoke_edge_function('hello-world', '{"name":"cron"}'::jsonb) as id`
    const r = await response(id)
    expect(r.error_msg).toBeNull()
    expect(r.status_code! >= 200 && r.status_code! < 300).toBe(true)
  })
})

describe('private.invoke_edge_function', () => {
  it('queues a POST to <project_url>/functions/v1/<name> with the service key from Vault', async () => {
    // Inspected inside a transaction that rolls back: the worker never sees the row.
    const row = await sql.begin(async (tx) => {
      const [{ id }] = await tx`select private.invoke_edge_function('enrich-contacts', '{"batch":5}'::jsonb) as id`
      const [r] = await tx`select method, url, headers, convert_from(body, 'UTF8') as body, timeout_milliseconds
                          from net.http_request_queue where id = ${id}`
      throw Object.assign(new Error('rollback'), { row: r })
    }).catch((e: { row?: Record<string, unknown> }) => e.row)
    expect(row).toBeDefined()
    expect(row!.method).toBe('POST')
    expect(row!.url).toBe(`${env('SUPABASE_URL')}/functions/v1/enrich-contacts`)
    expect(row!.headers).toEqual({ 'Content-Type': 'application/json', Authorization: `Bearer ${env('SUPABASE_SERVICE_ROLE_KEY')}` })
    expect(JSON.parse(row!.body as string)).toEqual({ batch: 5 })
  })

  it('refuses function names that are not plain slugs', async () => {
    for (const bad of ['../rest/v1/x', 'a b', '', 'Hello?x=1']) {
      await expect(sql`select private.invoke_edge_function(${bad})`).rejects.toThrow(/invalid edge function name/)
    }
  })

  it('is callable by service_role only', async () => {
    await sql.begin(async (tx) => {
      await tx`set local role service_role`
      await tx`select private.invoke_edge_function('noop-probe')`
      throw new Error('rollback')
    }).catch((e: Error) => expect(e.message).toBe('rollback'))
    for (const role of ['anon', 'authenticated']) {
      await expect(
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`)
          await tx`select private.invoke_edge_function('noop-probe')`
        }),
      ).rejects.toThrow(/permission denied/)
    }
  })
})

describe('private.schedule_job', () => {
  it('replaces a job of the same name instead of adding a second one', async () => {
    const name = `probe-${Date.now()}`
    try {
      const [a] = await sql`select private.schedule_job(${name}, '0 3 * * *', 'select 1') as id`
      const [b] = await sql`select private.schedule_job(${name}, '*/5 * * * *', 'select 2') as id`
      const jobs = await sql`select jobid, schedule, command from cron.job where jobname = ${name}`
      expect(jobs).toEqual([{ jobid: b.id, schedule: '*/5 * * * *', command: 'select 2' }])
      expect(b.id).not.toBe(a.id)
    } finally {
      await sql`select cron.unschedule(jobid) from cron.job where jobname = ${name}`
    }
  })

  it('is not executable by the API roles', async () => {
    for (const role of ['anon', 'authenticated', 'service_role']) {
      await expect(
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`)
          await tx`select private.schedule_job('x', '* * * * *', 'select 1')`
        }),
      ).rejects.toThrow(/permission denied/)
    }
  })
})
