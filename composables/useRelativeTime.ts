/** "il y a 5 minutes" / "5 minutes ago" with Intl (no date library on first load). */
export function relativeTime(iso: string, locale: string, now = Date.now()): string {
  const diff = (new Date(iso).getTime() - now) / 1000
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const abs = Math.abs(diff)
  if (abs < 60) return rtf.format(Math.round(diff), 'second')
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour')
  if (abs < 86400 * 30) return rtf.format(Math.round(diff / 86400), 'day')
  if (abs < 86400 * 365) return rtf.format(Math.round(diff / (86400 * 30)), 'month')
  return rtf.format(Math.round(diff / (86400 * 365)), 'year')
}

/**
 * The server's render time, shared with the browser so hydration renders the
 * same text; refreshed once mounted.
 */
export function useNow() {
  const now = useState('render-now', () => Date.now())
  onMounted(() => (now.value = Date.now()))
  return now
}

export function useRelativeTime() {
  const { locale } = useI18n()
  const now = useNow()
  return (iso: string) => relativeTime(iso, locale.value === 'en' ? 'en-GB' : 'fr-FR', now.value)
}

/** Hour of the day in the agencies' time zone (same on server and browser). */
export function parisHour(at: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: 'Europe/Paris' }).formatToParts(at)
  return Number(parts.find((p) => p.type === 'hour')!.value)
}
