import type { RowIssue } from '~/utils/import/normalize'
import type { ImportFailure } from './useImport'

/** French (and English) wording of the import's stable codes: fatal file problems, row rejects, warnings. */
export function useImportMessages() {
  const { t, te, n } = useI18n()
  const errorMessage = useErrorMessage()

  const fieldLabel = (field: string | null | undefined): string => {
    if (!field) return ''
    if (field.startsWith('custom:')) return field.slice(7)
    return te(`import.fields.${field}`) ? t(`import.fields.${field}`) : field
  }
  const reasonText = (r: { field?: string | null; reason?: string | null; code?: string }): string => {
    const code = r.reason ?? r.code ?? 'unknown'
    const field = fieldLabel(r.field)
    return te(`import.reasons.${code}`) ? t(`import.reasons.${code}`, { field }) : t('import.reasons.unknown', { field, code })
  }
  const warningText = (w: RowIssue): string =>
    te(`import.warnings.${w.code}`) ? t(`import.warnings.${w.code}`, { value: w.value ?? '', suggestion: w.suggestion ?? '' }) : w.code
  /** API errors of the import and prospects RPCs (their `message` is a stable code), else the app's wording. */
  const apiError = (e: unknown): string => {
    const m = (e as { message?: unknown } | null)?.message
    if (typeof m === 'string' && /^[a-z_]+$/.test(m) && te(`import.errors.${m}`)) {
      let detail: Record<string, unknown> = {}
      try { detail = JSON.parse(String((e as { details?: unknown }).details ?? '{}')) } catch { /* no detail */ }
      // figures of the detail (export limits: max_rows, remaining…) are formatted for the sentence
      const figures = Object.fromEntries(Object.entries(detail).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, n(v as number)]))
      return t(`import.errors.${m}`, { ...figures, field: fieldLabel(String(detail.field ?? '')) })
    }
    return errorMessage(e)
  }
  const failureText = (e: unknown): string => {
    const f = e as Partial<ImportFailure>
    if (f && typeof f.code === 'string' && te(`import.fatal.${f.code}`)) return t(`import.fatal.${f.code}`, { ...(f.detail ?? {}) })
    return apiError(e)
  }
  return { fieldLabel, reasonText, warningText, failureText, apiError }
}
