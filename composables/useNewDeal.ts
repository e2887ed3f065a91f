import { z } from 'zod'

/**
 * "Nouvelle affaire" on the pipeline board: the form's values (strings, as
 * typed), their validation (zod, one message key per field, no NaN: a typed
 * amount is parsed French-style, "420 000" or "420000,50") and the insert,
 * made with the user's rights so RLS decides (any member may create a deal).
 */

export interface NewDealForm {
  contactId: string | null
  title: string
  value: string
  stageId: string
  ownerId: string
  expectedClose: string | null
}
export type NewDealField = keyof NewDealForm
export interface NewDeal {
  contactId: string | null
  title: string
  value: number | null
  stageId: string
  ownerId: string
  expectedClose: string | null
}

/** numeric(14, 2): at most 12 digits before the decimal point. */
export const NEW_DEAL_MAX_VALUE = 999_999_999_999.99

/** "420 000", "420 000,50", "420000.5", "" → a number, null for empty, NaN for anything else. */
export function parseAmountInput(raw: string): number | null {
  const s = raw.replace(/[\s\u00a0\u202f]/g, '').replace(/€$/, '').replace(',', '.')
  if (s === '') return null
  return /^\d+(\.\d{1,2})?$/.test(s) ? Number(s) : Number.NaN
}

const isoDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T12:00:00Z`)) && new Date(`${s}T12:00:00Z`).toISOString().startsWith(s)

/** Field → i18n key of its message (pipeline.create.errors.*). */
export const newDealSchema = z.object({
  contactId: z.string().min(1, 'contactRequired').nullable(),
  title: z.string().trim().min(1, 'titleRequired').max(200, 'titleTooLong'),
  value: z.string().transform((v, ctx) => {
    const n = parseAmountInput(v)
    if (n !== null && Number.isNaN(n)) ctx.addIssue({ code: 'custom', message: 'valueInvalid' })
    else if (n !== null && n > NEW_DEAL_MAX_VALUE) ctx.addIssue({ code: 'custom', message: 'valueTooLarge' })
    return n
  }),
  stageId: z.string().min(1, 'stageRequired'),
  ownerId: z.string().min(1, 'ownerRequired'),
  expectedClose: z.string().nullable().refine((v) => v === null || isoDate(v), 'dateInvalid'),
})

export function validateNewDeal(form: NewDealForm):
  | { ok: true; deal: NewDeal; errors: Partial<Record<NewDealField, string>> }
  | { ok: false; deal: null; errors: Partial<Record<NewDealField, string>> } {
  const r = newDealSchema.safeParse(form)
  if (r.success) return { ok: true, deal: r.data, errors: {} }
  const errors: Partial<Record<NewDealField, string>> = {}
  for (const issue of r.error.issues) {
    const field = issue.path[0] as NewDealField
    if (field && !errors[field]) errors[field] = issue.message
  }
  return { ok: false, deal: null, errors }
}

/** The database's refusal → the field it concerns and its message key, or null (shown as a general error). */
export function newDealServerError(e: unknown): { field: NewDealField | null; key: string } {
  const o = (e ?? {}) as { code?: string; message?: string }
  const m = o.message ?? ''
  if (o.code === '42501') return { field: null, key: 'forbidden' }
  if (m.includes('deals_title_length')) return { field: 'title', key: 'titleRequired' }
  if (m.includes('deals_value_positive') || o.code === '22003') return { field: 'value', key: 'valueInvalid' }
  if (o.code === '23503' && m.includes('contact')) return { field: 'contactId', key: 'contactGone' }
  if (o.code === '23503') return { field: 'stageId', key: 'stageGone' }
  return { field: null, key: 'failed' }
}

export function useNewDeal() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function create(pipelineId: string, deal: NewDeal): Promise<string> {
    const { data, error } = await supabase.from('deals').insert({
      tenant_id: session.currentTenantId,
      pipeline_id: pipelineId,
      stage_id: deal.stageId,
      contact_id: deal.contactId,
      title: deal.title,
      value: deal.value,
      currency: 'EUR',
      owner_id: deal.ownerId,
      expected_close_date: deal.expectedClose,
    }).select('id').single()
    if (error) throw error
    return z.object({ id: z.string() }).parse(data).id
  }

  return { create }
}
