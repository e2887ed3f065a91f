/**
 * One enrichment job, in batches, idempotent: each contact of the base is
 * looked up once per job (private.enrichment_job_contacts), through the
 * platform cache by SIRET (90 days) before the provider. Findings go through
 * private.record_enrichment, which applies confident values and holds the
 * others for review. Service role: the cache is platform-wide and the job's
 * tenant is read from the job, whoever triggered the work.
 */
import type { Sql, Tx } from '../db.ts'
import type { Logger } from '../log.ts'
import type { EnrichmentProvider, Finding } from '../providers/enrichment.ts'
import { ProviderError } from '../providers/types.ts'

export const CACHE_DAYS = 90

export interface JobProgress { jobId: string; status: string; processed: number; total: number; cacheHits: number; providerCalls: number; done: boolean }

const asService = <T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> =>
  sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`
    return fn(tx)
  }) as Promise<T>

export async function processEnrichmentJob(
  sql: Sql, jobId: string, provider: EnrichmentProvider, log: Logger, opts: { budgetMs?: number; batch?: number } = {},
): Promise<JobProgress> {
  const started = Date.now()
  const budget = opts.budgetMs ?? 20_000
  let providerCalls = 0
  const [job] = await asService(sql, (tx) => tx`update public.enrichment_jobs set status = 'running'
      where id = ${jobId} and status in ('queued', 'running') returning id, tenant_id, prospect_base_id, total`)
  if (!job) {
    const [j] = await asService(sql, (tx) => tx`select status, processed, total, cache_hits from public.enrichment_jobs where id = ${jobId}`)
    return { jobId, status: j?.status ?? 'missing', processed: j?.processed ?? 0, total: j?.total ?? 0, cacheHits: j?.cache_hits ?? 0, providerCalls: 0, done: true }
  }
  for (;;) {
    const todo = await asService(sql, (tx) => tx`
      select c.id, c.company_name, c.siret, c.city, c.postal_code
        from public.prospect_base_members m
        join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
       where m.tenant_id = ${job.tenant_id} and m.prospect_base_id = ${job.prospect_base_id}
         and c.kind = 'company' and c.deleted_at is null
         and not exists (select 1 from private.enrichment_job_contacts x where x.job_id = ${jobId} and x.contact_id = c.id)
       order by c.id limit ${opts.batch ?? 25}`)
    if (!todo.length) break
    for (const c of todo) {
      if (Date.now() - started > budget) return await progress(sql, jobId, providerCalls, false)
      let findings: Finding[] = []
      let fromCache = false
      let providerName = provider.name
      if (c.siret) {
        const [hit] = await asService(sql, (tx) => tx`select findings, provider from private.company_enrichment
          where siret = ${c.siret} and enriched_at > now() - make_interval(days => ${CACHE_DAYS})`)
        if (hit) {
          findings = hit.findings as Finding[]
          providerName = hit.provider
          fromCache = true
        }
      }
      if (!fromCache && c.company_name) {
        try {
          findings = await provider.lookup({ name: c.company_name, city: c.city, postalCode: c.postal_code, siret: c.siret })
          providerCalls++
        } catch (e) {
          if (e instanceof ProviderError && e.retryable) throw e
          log.warn('enrichment lookup failed', { jobId, contactId: c.id }, e)
        }
        if (c.siret) {
          await asService(sql, (tx) => tx`insert into private.company_enrichment (siret, findings, provider, enriched_at)
            values (${c.siret}, ${tx.json(findings as never)}, ${provider.name}, now())
            on conflict (siret) do update set findings = excluded.findings, provider = excluded.provider, enriched_at = now()`)
        }
      }
      await asService(sql, async (tx) => {
        for (const f of findings) {
          await tx`select private.record_enrichment(${job.tenant_id}, ${c.id}, ${jobId}, ${f.field}, ${f.value}, ${f.confidence}, ${f.source}, ${providerName})`
        }
        const ins = await tx`insert into private.enrichment_job_contacts (job_id, contact_id) values (${jobId}, ${c.id}) on conflict do nothing returning 1`
        if (ins.length) {
          await tx`update public.enrichment_jobs set processed = processed + 1, cache_hits = cache_hits + ${fromCache ? 1 : 0} where id = ${jobId}`
        }
      })
    }
  }
  await asService(sql, (tx) => tx`update public.enrichment_jobs set status = 'done', finished_at = now() where id = ${jobId}`)
  return await progress(sql, jobId, providerCalls, true)
}

async function progress(sql: Sql, jobId: string, providerCalls: number, done: boolean): Promise<JobProgress> {
  const [j] = await asService(sql, (tx) => tx`select status, processed, total, cache_hits from public.enrichment_jobs where id = ${jobId}`)
  return { jobId, status: j.status, processed: j.processed, total: j.total, cacheHits: j.cache_hits, providerCalls, done }
}
