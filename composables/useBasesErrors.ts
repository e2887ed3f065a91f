/** Error codes raised by the bases, generation, enrichment and segments RPCs (SQL `message`). */
export const BASES_ERROR_CODES = new Set([
  'generation_rate_limited', 'invalid_area', 'invalid_naf', 'generation_not_found', 'generation_already_confirmed', 'generation_not_ready',
  'generation_empty', 'base_name_taken', 'segment_name_taken', 'enrichment_running', 'nothing_to_enrich', 'enrichment_quota_exceeded',
  'enrichment_not_found', 'enrichment_already_reviewed', 'duplicate_contact', 'invalid_segment_filter', 'too_many_contacts', 'invalid_tag',
  'owner_not_member', 'base_not_found', 'contact_not_found', 'sequence_not_found', 'invalid_selection',
])

/** The feature's code of an error, or null: RPC messages, and unique-name violations by constraint. */
export function basesErrorCode(e: unknown): string | null {
  if (!e || typeof e !== 'object') return null
  const o = e as { code?: unknown; message?: unknown }
  const message = typeof o.message === 'string' ? o.message : ''
  if (BASES_ERROR_CODES.has(message)) return message
  if (o.code === '23505' && message.includes('segments_tenant_name_key')) return 'segment_name_taken'
  if (o.code === '23505' && message.includes('prospect_bases_tenant_name_key')) return 'base_name_taken'
  return null
}

/** A translated sentence for an error of this feature, else the app's generic mapping. */
export function useBasesErrorMessage() {
  const { t } = useI18n()
  const generic = useErrorMessage()
  return (e: unknown) => {
    const code = basesErrorCode(e)
    return code ? t(`bases.errors.codes.${code}`) : generic(e)
  }
}
