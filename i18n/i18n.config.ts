// Number and date formats per locale (French formats by default).
const numberFormats = {
  integer: { style: 'decimal', maximumFractionDigits: 0 },
  percent: { style: 'percent', maximumFractionDigits: 0 },
  currency: { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 },
  compactCurrency: { style: 'currency', currency: 'EUR', notation: 'compact', maximumFractionDigits: 1 },
} as const
const datetimeFormats = {
  // Agencies work in Europe/Paris; a fixed zone also keeps SSR and hydration identical.
  short: { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Europe/Paris' },
  long: { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' },
  dateTime: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' },
} as const

export default defineI18nConfig(() => ({
  legacy: false,
  fallbackLocale: 'fr',
  numberFormats: { fr: numberFormats, en: numberFormats },
  datetimeFormats: { fr: datetimeFormats, en: datetimeFormats },
}))
