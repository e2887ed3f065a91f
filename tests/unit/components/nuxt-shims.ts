/**
 * What Nuxt auto-imports, made global for components mounted outside Nuxt:
 * Vue's reactivity API and a `useI18n` reading the French messages (with
 * `{name}` interpolation and `a | b` plurals), so tests assert on real copy.
 */
import * as vue from 'vue'
import { loadMessages } from '../../../i18n/messages'

const fr = loadMessages('fr')

type Tree = { [k: string]: string | Tree }
function lookup(key: string): string {
  const v = key.split('.').reduce<string | Tree | undefined>((o, k) => (o && typeof o === 'object' ? o[k] : undefined), fr as Tree)
  return typeof v === 'string' ? v.replace(/\{'(.)'\}/g, '$1') : key
}
export function t(key: string, params: Record<string, unknown> | number = {}, plural?: number) {
  let msg = lookup(key)
  const count = typeof params === 'number' ? params : plural
  if (count !== undefined && msg.includes(' | ')) msg = msg.split(' | ')[count === 1 ? 0 : 1]!
  const p = typeof params === 'object' ? params : {}
  return msg.replace(/\{(\w+)\}/g, (_, k) => String(p[k] ?? ''))
}

const g = globalThis as Record<string, unknown>
for (const k of ['ref', 'computed', 'reactive', 'watch', 'watchEffect', 'useId', 'onMounted', 'onBeforeUnmount', 'nextTick', 'resolveComponent']) g[k] = (vue as Record<string, unknown>)[k]
g.useI18n = () => ({
  t,
  te: (k: string) => lookup(k) !== k,
  n: (v: number, f?: string) => new Intl.NumberFormat('fr-FR', f === 'percent' ? { style: 'percent' } : f === 'currency' ? { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 } : {}).format(v),
  d: (v: Date) => new Intl.DateTimeFormat('fr-FR').format(v),
  locale: vue.ref('fr'),
})
