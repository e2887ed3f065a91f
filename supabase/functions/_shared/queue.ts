/**
 * Jobs over pgmq, as a typed registry.
 *
 * A message is `{ type, ...payload }`; each type maps to a zod schema and a
 * handler. `drain()` reads a batch with a visibility timeout and dispatches:
 * - handler resolves → the message is deleted;
 * - handler throws → the message is left for a retry when its visibility
 *   timeout passes (optionally pushed further by `retryDelay`), until its
 *   attempt count (pgmq's `read_ct`) reaches `maxAttempts`, then archived;
 * - unknown type or invalid payload → archived at once (a retry cannot help).
 * An archived message carries the reason under `_failure`
 * (`{ reason, attempts, at }`) in `pgmq.a_<queue>`.
 *
 * Delivery is at least once: a worker that dies mid-job, or a job slower than
 * the visibility timeout, means another delivery. Handlers must be idempotent
 * (a unique key per side effect).
 */
import { z } from 'zod'
import { db, type Sql } from './db.ts'
import { createLogger, type Logger } from './log.ts'

export interface JobContext {
  queue: string
  msgId: string
  /** 1 on the first delivery (pgmq read_ct). */
  attempt: number
  enqueuedAt: Date
  logger: Logger
  sql: Sql
}

export interface JobDefinition<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  schema: S
  /** Attempts before the message is archived; the drain's default otherwise. */
  maxAttempts?: number
  handle(payload: z.output<S>, ctx: JobContext): Promise<void>
}

/** Declares one job type (keeps the payload type flowing into the handler). */
export function job<S extends z.ZodType<Record<string, unknown>>>(def: JobDefinition<S>): JobDefinition<S> {
  return def
}

// deno-lint-ignore no-explicit-any
type AnyJob = JobDefinition<any>
export type Jobs = Record<string, AnyJob>
export type PayloadOf<D extends Jobs, K extends keyof D> = z.input<D[K]['schema']>

const QUEUE_NAME = /^[a-z0-9_]{1,47}$/

export function assertQueueName(queue: string): void {
  if (!QUEUE_NAME.test(queue)) throw new Error(`invalid queue name: ${queue}`)
}

const messageRecord = z.object({
  msg_id: z.union([z.string(), z.number(), z.bigint()]).transform(String),
  read_ct: z.number().int(),
  enqueued_at: z.date(),
  message: z.unknown(),
})
const envelope = z.looseObject({ type: z.string().min(1) })

export interface DrainOptions {
  batch?: number
  /** Visibility timeout in seconds for the messages read. */
  vt?: number
  maxAttempts?: number
  /** Seconds before attempt `n + 1` after attempt `n` failed; default: the visibility timeout. */
  retryDelay?: (attempt: number) => number
  sql?: Sql
  logger?: Logger
}

export interface DrainReport {
  read: number
  succeeded: number
  retried: number
  archived: { msgId: string; reason: string }[]
}

export class JobRegistry<D extends Jobs> {
  constructor(readonly jobs: D) {}

  /** Validates a payload and builds the message for `type`. */
  message<K extends keyof D & string>(type: K, payload: PayloadOf<D, K>): Record<string, unknown> & { type: K } {
    const parsed = this.jobs[type].schema.parse(payload) as Record<string, unknown>
    return { ...parsed, type }
  }

  /** Enqueues one job; returns its msg_id. */
  async send<K extends keyof D & string>(queue: string, type: K, payload: PayloadOf<D, K>, opts: { delay?: number; sql?: Sql } = {}): Promise<string> {
    assertQueueName(queue)
    const sql = opts.sql ?? db()
    const msg = this.message(type, payload)
    const [row] = await sql`select * from pgmq.send(${queue}, ${sql.json(msg as never)}, ${opts.delay ?? 0}) as id`
    return String(row.id)
  }

  /** Enqueues several jobs of one type in one statement; returns their msg_ids. */
  async sendBatch<K extends keyof D & string>(queue: string, type: K, payloads: PayloadOf<D, K>[], opts: { delay?: number; sql?: Sql } = {}): Promise<string[]> {
    assertQueueName(queue)
    const sql = opts.sql ?? db()
    const msgs = payloads.map((p) => JSON.stringify(this.message(type, p)))
    const rows = await sql`select * from pgmq.send_batch(${queue}, ${sql.array(msgs)}::jsonb[], ${opts.delay ?? 0}) as id`
    return rows.map((r) => String(r.id))
  }

  /** Reads up to `batch` messages and processes them one after the other. */
  async drain(queue: string, opts: DrainOptions = {}): Promise<DrainReport> {
    assertQueueName(queue)
    const sql = opts.sql ?? db()
    const vt = opts.vt ?? 60
    const log = opts.logger ?? createLogger('queue')
    const report: DrainReport = { read: 0, succeeded: 0, retried: 0, archived: [] }
    const rows = await sql`select msg_id, read_ct, enqueued_at, message from pgmq.read(${queue}, ${vt}, ${opts.batch ?? 10})`
    report.read = rows.length
    for (const raw of rows) {
      const rec = messageRecord.parse(raw)
      const archive = async (reason: string) => {
        await archiveWithReason(sql, queue, rec.msg_id, { reason, attempts: rec.read_ct, at: new Date().toISOString() })
        report.archived.push({ msgId: rec.msg_id, reason })
      }
      const env = envelope.safeParse(rec.message)
      const def = env.success ? this.jobs[env.data.type] : undefined
      if (!env.success || !def || !Object.hasOwn(this.jobs, env.data.type)) {
        const reason = env.success ? `unknown job type: ${env.data.type}` : 'message has no job type'
        log.error('job archived', undefined, { queue, msgId: rec.msg_id, reason })
        await archive(reason)
        continue
      }
      const { type, ...rest } = env.data
      const payload = def.schema.safeParse(rest)
      const jobLog = log.child({ context: { queue, msgId: rec.msg_id, type, attempt: rec.read_ct } })
      if (!payload.success) {
        const reason = `invalid payload: ${payload.error.issues.map((i: z.core.$ZodIssue) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`
        jobLog.error('job archived', undefined, { reason })
        await archive(reason)
        continue
      }
      try {
        await def.handle(payload.data, { queue, msgId: rec.msg_id, attempt: rec.read_ct, enqueuedAt: rec.enqueued_at, logger: jobLog, sql })
        await sql`select pgmq.delete(${queue}, ${rec.msg_id}::bigint)`
        report.succeeded++
      } catch (e) {
        const max = def.maxAttempts ?? opts.maxAttempts ?? 5
        const message = e instanceof Error ? e.message : String(e)
        if (rec.read_ct >= max) {
          jobLog.error('job failed for the last time, archived', e, { maxAttempts: max })
          await archive(`failed after ${rec.read_ct} attempts: ${message}`)
        } else {
          jobLog.warn('job failed, will retry', { maxAttempts: max }, e)
          if (opts.retryDelay) await sql`select pgmq.set_vt(${queue}, ${rec.msg_id}::bigint, ${Math.max(0, Math.round(opts.retryDelay(rec.read_ct)))})`
          report.retried++
        }
      }
    }
    return report
  }
}

export function defineJobs<D extends Jobs>(jobs: D): JobRegistry<D> {
  return new JobRegistry(jobs)
}

/** Records `failure` in the message under `_failure`, then archives it, atomically. */
export async function archiveWithReason(sql: Sql, queue: string, msgId: string, failure: { reason: string; attempts: number; at: string }): Promise<boolean> {
  assertQueueName(queue)
  return (await sql.begin(async (tx) => {
    await tx`update ${tx('pgmq')}.${tx('q_' + queue)} set message = coalesce(message, '{}'::jsonb) || jsonb_build_object('_failure', ${tx.json(failure)}::jsonb)
             where msg_id = ${msgId}::bigint`
    const [r] = await tx`select pgmq.archive(${queue}, ${msgId}::bigint) as ok`
    return Boolean(r.ok)
  })) as boolean
}
