import { z } from 'zod'

export const enrichmentReportSchema = z.object({
  companies: z.number(), with_website: z.number(), with_email: z.number(), found: z.number(), applied: z.number(),
  needs_review: z.number(), approved: z.number(), rejected: z.number(),
  accuracy: z.coerce.number().nullable(), mean_confidence: z.coerce.number().nullable(),
  job: z.object({ id: z.string(), status: z.enum(['queued', 'running', 'done', 'failed']), total: z.number(), processed: z.number(), created_at: z.string() }).loose().nullable(),
})
export type EnrichmentReport = z.infer<typeof enrichmentReportSchema>

export const reviewItemSchema = z.object({
  id: z.string(), field: z.enum(['website', 'email']), value: z.string(), confidence: z.coerce.number(), source: z.string(),
  contact: z.object({ company_name: z.string().nullable() }).nullable(),
})
export type ReviewItem = z.infer<typeof reviewItemSchema>

/** Enrichment of a base: start a job, coverage and accuracy, values waiting for review. */
export function useBasesEnrichment() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenant = () => {
    if (!session.currentTenantId) throw new Error('no_tenant')
    return session.currentTenantId
  }

  async function report(baseId: string): Promise<EnrichmentReport> {
    const { data, error } = await supabase.rpc('base_enrichment_report', { p_tenant_id: tenant(), p_base_id: baseId })
    if (error) throw error
    return enrichmentReportSchema.parse(data)
  }

  /** Starts a job and runs it now through enrich-worker; returns the job id. */
  async function start(baseId: string): Promise<string> {
    const { data, error } = await supabase.rpc('request_enrichment', { p_tenant_id: tenant(), p_base_id: baseId })
    if (error) throw error
    const job = z.object({ id: z.string() }).parse(Array.isArray(data) ? data[0] : data)
    const { error: fnError } = await supabase.functions.invoke('enrich-worker', { body: { jobId: job.id } })
    if (fnError) throw fnError
    return job.id
  }

  async function toReview(baseId: string, limit = 5): Promise<ReviewItem[]> {
    const { data: members, error: e1 } = await supabase.from('prospect_base_members').select('contact_id').eq('tenant_id', tenant()).eq('prospect_base_id', baseId).limit(1000)
    if (e1) throw e1
    const ids = (members ?? []).map((m) => m.contact_id as string)
    if (!ids.length) return []
    const { data, error } = await supabase.from('contact_enrichments')
      .select('id, field, value, confidence, source, contact:contacts(company_name)')
      .eq('tenant_id', tenant()).eq('status', 'needs_review').in('contact_id', ids).order('confidence', { ascending: false }).limit(limit)
    if (error) throw error
    return z.array(reviewItemSchema).parse(data ?? [])
  }

  async function review(id: string, approve: boolean): Promise<void> {
    const { error } = await supabase.rpc('review_enrichment', { p_id: id, p_approve: approve })
    if (error) throw error
  }

  return { report, start, toReview, review }
}
