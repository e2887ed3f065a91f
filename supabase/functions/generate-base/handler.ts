/**
 * generate-base: fills prospect-base generations from the companies provider
 * (recherche-entreprises; the sandbox locally) through the platform cache.
 *
 * - POST {} with the service key (pg_cron → private.run_generation_tick):
 *   drains the `generation` pgmq queue.
 * - POST {generationId} with a user's JWT (the wizard, right after
 *   request_base_generation): processes that generation now, after checking
 *   under RLS that the caller sees it (a member of its tenant). Its queue
 *   message becomes a no-op for the next drain (the work is idempotent).
 */
import { z } from 'zod'
import { authenticate } from '../_shared/auth.ts'
import { db, withUser } from '../_shared/db.ts'
import { processGeneration } from '../_shared/generation/process.ts'
import { errorResponse, HttpError, json, parseBody, preflight } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { providers } from '../_shared/providers/mod.ts'
import { defineJobs, job } from '../_shared/queue.ts'

const log = createLogger('generate-base')
const pauseMs = () => Number(Deno.env.get('GENERATION_PAGE_PAUSE_MS') ?? 150)

export const jobs = defineJobs({
  'generation.fetch': job({
    schema: z.object({ generationId: z.uuid() }),
    maxAttempts: 5,
    async handle(p, ctx) {
      await processGeneration(ctx.sql, p.generationId, providers().companies(), ctx.logger, { pauseMs: pauseMs() })
    },
  }),
})

const body = z.object({ generationId: z.uuid().optional(), batch: z.number().int().min(1).max(50).optional() })

export async function handler(req: Request): Promise<Response> {
  const pre = preflight(req)
  if (pre) return pre
  try {
    if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'Use POST')
    const caller = await authenticate(req)
    const p = req.headers.get('content-length') === '0' ? {} : await parseBody(req, body)
    if (caller.kind === 'service') {
      if (p.generationId) {
        return json(await processGeneration(db(), p.generationId, providers().companies(), log, { pauseMs: pauseMs() }))
      }
      return json(await jobs.drain('generation', { batch: p.batch ?? 10, vt: 120, logger: log, retryDelay: (n) => 30 * 2 ** (n - 1) }))
    }
    if (caller.kind !== 'user') throw new HttpError('unauthorized', 'Sign in first')
    if (!p.generationId) throw new HttpError('validation_failed', 'generationId is required', { fields: { generationId: ['required'] } })
    const visible = await withUser(caller.claims, (tx) => tx`select id from public.base_generations where id = ${p.generationId!}`)
    if (visible.length === 0) throw new HttpError('not_found', 'No such generation')
    const res = await processGeneration(db(), p.generationId, providers().companies(), log.child({ userId: caller.userId }), { pauseMs: pauseMs() })
    return json(res)
  } catch (e) {
    return errorResponse(e, { logger: log })
  }
}
