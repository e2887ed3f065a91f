/**
 * The local pg_net worker: performs the HTTP requests that `net.http_get`,
 * `net.http_post` and `net.http_delete` queue in `net.http_request_queue`, as
 * pg_net's background worker does on Supabase.
 *
 * - Wakes on `NOTIFY pg_net_wake` (sent by `net.wake()` at commit) and polls as
 *   a fallback, so a lost notification only delays a request.
 * - Claims requests by deleting their queue rows (SKIP LOCKED, as pg_net does),
 *   runs them with fetch under the request's timeout, at most `concurrency` at
 *   once, and records one `net._http_response` row per request with pg_net's
 *   conventions: status, headers, content (null when empty), content_type,
 *   `timed_out`, `error_msg` ("Timeout of N ms reached…" on timeouts).
 * - Deletes responses older than the TTL (pg_net.ttl, 6 hours by default).
 * - `stop()` stops claiming, lets requests in flight finish (bounded by their
 *   timeouts), then closes its connections.
 */
import postgres from 'postgres'
import { z } from 'zod'
import type { StackConfig } from '../config.ts'
import type { Service } from '../stack.ts'

export const WAKE_CHANNEL = 'pg_net_wake'

const requestRow = z.object({
  id: z.coerce.number().int(),
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.unknown()).nullable(),
  body: z.instanceof(Uint8Array).nullable(),
  timeout_milliseconds: z.number().int(),
})
type RequestRow = z.infer<typeof requestRow>

export interface WorkerOptions {
  /** Requests in flight at most. */
  concurrency?: number
  /** Fallback poll interval when no notification arrives. */
  pollMs?: number
  /** Response retention, a Postgres interval. */
  ttl?: string
  log?: (entry: Record<string, unknown>) => void
}

export interface ResponseRow {
  id: number
  status_code: number | null
  content_type: string | null
  headers: Record<string, string> | null
  content: string | null
  timed_out: boolean
  error_msg: string | null
}

/** Performs one queued request and describes the outcome as pg_net records it. */
export async function perform(req: RequestRow): Promise<ResponseRow> {
  const started = performance.now()
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), Math.max(1, req.timeout_milliseconds))
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers ?? {})) headers.set(k, typeof v === 'string' ? v : JSON.stringify(v))
  try {
    const res = await fetch(req.url, {
      method: req.method.toUpperCase(),
      headers,
      body: req.body && req.method.toUpperCase() !== 'GET' ? req.body : undefined,
      signal: ctrl.signal,
      redirect: 'follow',
    })
    const content = await res.text()
    const outHeaders: Record<string, string> = {}
    res.headers.forEach((v, k) => (outHeaders[k] = v))
    return {
      id: req.id,
      status_code: res.status,
      content_type: res.headers.get('content-type'),
      headers: outHeaders,
      content: content === '' ? null : content,
      timed_out: false,
      error_msg: null,
    }
  } catch (e) {
    const timedOut = ctrl.signal.aborted
    const elapsed = performance.now() - started
    const cause = (e as Error & { cause?: Error }).cause
    return {
      id: req.id,
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut
        ? `Timeout of ${req.timeout_milliseconds} ms reached. Total time: ${elapsed.toFixed(3)} ms`
        : (cause?.message ?? (e as Error).message),
    }
  } finally {
    clearTimeout(timer)
  }
}

export class PgNetWorker {
  private readonly sql: postgres.Sql
  private readonly concurrency: number
  private readonly pollMs: number
  private readonly ttl: string
  private readonly log: (entry: Record<string, unknown>) => void
  private inFlight = new Set<Promise<void>>()
  private stopped = false
  private draining: Promise<void> | null = null
  private again = false
  private pollTimer: NodeJS.Timeout | undefined
  private unlisten: (() => Promise<void>) | undefined
  private lastCleanup = 0

  constructor(dbUrl: string, opts: WorkerOptions = {}) {
    this.concurrency = opts.concurrency ?? 16
    this.pollMs = opts.pollMs ?? 1000
    this.ttl = opts.ttl ?? '6 hours'
    this.log = opts.log ?? (() => {})
    // One connection for LISTEN, the others for claims and responses.
    this.sql = postgres(dbUrl, { max: 4, onnotice: () => {}, connection: { application_name: 'pg_net worker (local)' } })
  }

  async start(): Promise<void> {
    const sub = await this.sql.listen(WAKE_CHANNEL, () => this.wake())
    this.unlisten = () => sub.unlisten()
    const tick = () => {
      if (this.stopped) return
      this.wake()
      this.pollTimer = setTimeout(tick, this.pollMs)
    }
    tick()
  }

  /** Drains the queue; a wake-up during a drain schedules one more pass. */
  wake(): void {
    if (this.stopped) return
    if (this.draining) {
      this.again = true
      return
    }
    this.draining = this.drain()
      .catch((e) => this.log({ level: 'error', message: 'pg_net drain failed', error: String((e as Error).message) }))
      .finally(() => {
        this.draining = null
        if (this.again) {
          this.again = false
          this.wake()
        }
      })
  }

  private async drain(): Promise<void> {
    await this.cleanup()
    while (!this.stopped) {
      const free = this.concurrency - this.inFlight.size
      if (free <= 0) {
        await Promise.race(this.inFlight)
        continue
      }
      const rows = await this.sql`
        delete from net.http_request_queue q
        where q.id in (select id from net.http_request_queue order by id limit ${free} for update skip locked)
        returning q.id, q.method, q.url, q.headers, q.body, q.timeout_milliseconds`
      if (!rows.length) return
      for (const raw of rows) {
        const parsed = requestRow.safeParse(raw)
        const job = parsed.success ? this.run(parsed.data) : this.reject(Number(raw.id), parsed.error.message)
        this.inFlight.add(job)
        void job.finally(() => this.inFlight.delete(job))
      }
    }
  }

  private async run(req: RequestRow): Promise<void> {
    const r = await perform(req)
    await this.record(r)
    this.log({ level: r.error_msg ? 'warn' : 'info', message: 'pg_net request', id: r.id, method: req.method, url: req.url, status: r.status_code, error: r.error_msg ?? undefined })
  }

  private reject(id: number, error: string): Promise<void> {
    return this.record({ id, status_code: null, content_type: null, headers: null, content: null, timed_out: false, error_msg: `invalid request row: ${error}` })
  }

  private async record(r: ResponseRow): Promise<void> {
    try {
      await this.sql`
        insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
        values (${r.id}, ${r.status_code}, ${r.content_type}, ${r.headers === null ? null : this.sql.json(r.headers)},
                ${r.content}, ${r.timed_out}, ${r.error_msg})`
    } catch (e) {
      this.log({ level: 'error', message: 'pg_net could not record a response', id: r.id, error: String((e as Error).message) })
    }
  }

  private async cleanup(): Promise<void> {
    if (Date.now() - this.lastCleanup < 60_000) return
    this.lastCleanup = Date.now()
    await this.sql`delete from net._http_response where created < now() - ${this.ttl}::interval`
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.pollTimer)
    await this.draining
    await Promise.allSettled([...this.inFlight])
    await this.unlisten?.().catch(() => {})
    await this.sql.end({ timeout: 5 })
  }
}

export async function start(cfg: StackConfig, _env: Record<string, string>): Promise<Service> {
  // With pg_net installed as an extension, its own background worker does the job.
  const probe = postgres(cfg.dbUrl, { max: 1, onnotice: () => {} })
  try {
    const [r] = await probe`select exists (select 1 from pg_extension where extname = 'pg_net') as ext,
                                   to_regclass('net.http_request_queue') is not null as stand_in`
    if (r.ext || !r.stand_in) return { name: 'pg_net', stop: async () => {} }
  } finally {
    await probe.end()
  }
  const jsonLog = process.env.PGNET_LOG === 'stdout'
  const worker = new PgNetWorker(cfg.dbUrl, {
    log: (e) => {
      if (jsonLog || e.level === 'error') process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), service: 'pg_net', ...e }) + '\n')
    },
  })
  await worker.start()
  return { name: 'pg_net', stop: () => worker.stop() }
}
