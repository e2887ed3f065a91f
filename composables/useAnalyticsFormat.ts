/** Okabe–Ito: distinguishable with every common colour-vision deficiency. */
export const CHART_PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#6B6B6B']
export const CHART_TEXT = '#475569'
export const CHART_GRID = '#E2E8F0'

/** French (or English) formats for the analytics: "—" for a missing figure, never NaN. */
export function useAnalyticsFormat() {
  const { locale, t } = useI18n()
  const tag = computed(() => (locale.value === 'en' ? 'en-GB' : 'fr-FR'))
  const ok = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
  const int = (v: number | null | undefined) => (ok(v) ? new Intl.NumberFormat(tag.value, { maximumFractionDigits: 0 }).format(v) : '—')
  const dec = (v: number | null | undefined, digits = 1) => (ok(v) ? new Intl.NumberFormat(tag.value, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v) : '—')
  const money = (v: number | null | undefined, compact = false) =>
    ok(v) ? new Intl.NumberFormat(tag.value, { style: 'currency', currency: 'EUR', maximumFractionDigits: compact ? 1 : 0, notation: compact ? 'compact' : 'standard' }).format(v) : '—'
  const money2 = (v: number | null | undefined) => (ok(v) ? new Intl.NumberFormat(tag.value, { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v) : '—')
  const rate = (v: number | null | undefined) => (ok(v) ? new Intl.NumberFormat(tag.value, { style: 'percent', maximumFractionDigits: 1 }).format(v) : '—')
  const signedRate = (v: number | null | undefined) => (ok(v) ? new Intl.NumberFormat(tag.value, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(v) : '—')
  const date = (iso: string | null | undefined) => (iso ? new Intl.DateTimeFormat(tag.value, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Europe/Paris' }).format(new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso)) : '—')
  const shortDay = (iso: string) => new Intl.DateTimeFormat(tag.value, { day: 'numeric', month: 'short', timeZone: 'Europe/Paris' }).format(new Date(`${iso}T12:00:00Z`))
  const period = (p: { from: string; to: string }) => t('analytics.period.range', { from: date(p.from), to: date(p.to) })
  return { int, dec, money, money2, rate, signedRate, date, shortDay, period, tag }
}
