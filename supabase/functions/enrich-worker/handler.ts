/**
 * enrich-worker: looks up the website and generic professional e-mail of a
 * base's companies (web search + AI tie-break, the sandbox locally).
 *
 * - POST {} with the service key (pg_cron → private.run_enrichment_tick):
 *   drains the `enrichment` pgmq queue; a job not finished within the time
 *   budget is queued again to continue where it stopped.
 * - POST {jobId} with a user's JWT (the base page, right after
 *   request_enrichment): processes that job now, after checking under RLS
 *   that the caller sees it.
 */
import { z } from 'zod'
import { authenticate } from '../_shared/auth.ts'
import { db, withUser } from '../_shared/db.ts'
import { processEnrichmentJob } from '../_shared/enrichment/process.ts'
import { errorResponse, HttpError, json, parseBody, preflight } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { enrichmentProvider } from '../_shared/providers/enrichment.ts'
import { defineJobs, job } from '../_shared/queue.ts'

const log = createLogger('enrich-worker')

export const jobs = defineJobs({
  'enrichment.job': job({
    schema: z.object({ jobId: z.uuid() }),
    maxAttempts: 5,
    async handle(p, ctx) {
      const r = await processEnrichmentJob(ctx.sql, p.jobId, await enrichmentProvider(), ctx.logger)
      if (!r.done) await jobs.send('enrichment', 'enrichment.job', { jobId: p.jobId }, { sql: ctx.sql })
    },
  }),
})

const body = z.object({ jobId: z.uuid().optional(), batch: z.number().int().min(1).max(20).optional() })

export async function handler(req: Request): Promise<Response> {
  const pre = preflight(req)
  if (pre) return pre
  try {
    if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use POST')
    const caller = await authenticate(req)
    const p = req.headers.get('content-length') === '0' ? {} : await parseBody(req, body)
    if (caller.kind === 'service') {
      if (p.jobId) return json(await processEnrichmentJob(db(), p.jobId, await enrichmentProvider(), log))
      return json(await jobs.drain('enrichment', { batch: p.batch ?? 5, vt: 120, logger: log, retryDelay: (n) => 30 * 2 ** (n - 1) }))
    }
    if (caller.kind !== 'user') throw new HttpError('unauthorized', 'Sign in first')
    if (!p.jobId) throw new HttpError('validation_failed', 'jobId is required', { fields: { jobId: ['required'] } })
    const visible = await withUser(caller.claims, (tx) => tx`select id from public.enrichment_jobs where id = ${p.jobId!}`)
    if (visible.length === 0) throw new HttpError('not_found', 'No such job')
    return json(await processEnrichmentJob(db(), p.jobId, await enrichmentProvider(), log.child({ userId: caller.userId })))
  } catch (e) {
    return errorResponse(e, { logger: log })
  }
}
