/**
 * One generation, end to end, idempotent: load it; if the platform cache holds
 * its target (fetched in the last 30 days, by any tenant) use it; otherwise
 * fetch from the companies provider and store it; then materialise the
 * tenant's items (private.materialize_generation). An advisory lock on the
 * target's key makes two tenants asking for the same target at the same time
 * wait for one fetch rather than call the provider twice.
 *
 * Service role: the cache is platform-wide (no tenant) and the items are
 * written for the generation's tenant, whoever triggered the work.
 */
import type { Sql } from '../db.ts'
import type { Logger } from '../log.ts'
import { ProviderError, type CompaniesProvider } from '../providers/types.ts'
import { fetchTarget, type FetchOptions } from './fetch.ts'
import { targetSchema } from './target.ts'

export const CACHE_DAYS = 30

export interface ProcessResult {
  generationId: string
  status: string
  cacheHit: boolean
  providerCalls: number
  total: number | null
}

export async function processGeneration(
  sql: Sql,
  generationId: string,
  provider: CompaniesProvider,
  log: Logger,
  opts: FetchOptions = {},
): Promise<ProcessResult> {
  return await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`
    const [g] = await tx`select id, tenant_id, status, query_key, naf_codes, area from public.base_generations where id = ${generationId}`
    if (!g) return { generationId, status: 'missing', cacheHit: false, providerCalls: 0, total: null }
    if (g.status !== 'queued' && g.status !== 'fetching') {
      const [x] = await tx`select total from public.base_generations where id = ${generationId}`
      return { generationId, status: g.status, cacheHit: false, providerCalls: 0, total: x.total }
    }
    await tx`select pg_advisory_xact_lock(hashtextextended(${'generation:' + g.query_key}, 0))`
    const [fresh] = await tx`select 1 from private.company_queries where query_key = ${g.query_key} and fetched_at > now() - make_interval(days => ${CACHE_DAYS})`
    let calls = 0
    if (!fresh) {
      await tx`update public.base_generations set status = 'fetching' where id = ${generationId}`
      const target = targetSchema.parse({ naf: g.naf_codes, area: g.area })
      try {
        const res = await fetchTarget(provider, target, opts)
        calls = res.calls
        await tx`select private.store_company_page(${g.query_key}, ${tx.json({ ...target, truncated: res.truncated } as never)}, ${res.totalReported}, ${tx.json(res.rows as never)})`
        await tx`update private.company_queries set provider_calls = ${res.calls} where query_key = ${g.query_key}`
        log.info('target fetched', { generationId, calls: res.calls, rows: res.rows.length, truncated: res.truncated })
      } catch (e) {
        if (e instanceof ProviderError && !e.retryable) {
          await tx`update public.base_generations set status = 'failed', error = ${e.code} where id = ${generationId}`
          log.warn('generation failed', { generationId, code: e.code }, e)
          return { generationId, status: 'failed', cacheHit: false, providerCalls: calls, total: null }
        }
        throw e
      }
    }
    const [m] = await tx`select private.materialize_generation(${generationId}) as n`
    await tx`update public.base_generations set cache_hit = ${!fresh ? false : true} where id = ${generationId}`
    return { generationId, status: 'ready', cacheHit: !!fresh, providerCalls: calls, total: Number(m.n) }
  }) as ProcessResult
}
