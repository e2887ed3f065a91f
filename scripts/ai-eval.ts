/**
 * AI evaluation set: 30 prospects × 3 templates (tests/fixtures/ai-eval/),
 * three variants each, generated through the AI layer
 * (supabase/functions/_shared/ai: prompt, structured call, fallback, checks)
 * and every output checked automatically:
 *   - required variables resolved (the prospect's value appears in the text),
 *   - no `{{` left,
 *   - length limits (checks.ts: channel limit, SMS parts, subject length),
 *   - language detected (franc-min) equal to the prospect's language,
 *   - no number or proper name absent from the context (checks.ts).
 *
 *   npx tsx scripts/ai-eval.ts [--renderer] [--json]
 *
 * Provider: OPENAI_BASE_URL set → that endpoint (the stack's sandbox: this
 * checks the plumbing, its copy is canned French); only OPENAI_API_KEY set →
 * the real OpenAI API (evaluates the model); neither, or --renderer → the
 * deterministic template renderer (the fallback). Prints a quality table;
 * exits 1 when a check fails for a run against a real model or the renderer.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { franc } from 'franc-min'
import OpenAI from 'openai'
import { CircuitBreaker } from '../supabase/functions/_shared/ai/breaker.ts'
import type { AiDeps, UsageRecord } from '../supabase/functions/_shared/ai/client.ts'
import { aiEnvSchema } from '../supabase/functions/_shared/ai/config.ts'
import type { GenerationContext, Language } from '../supabase/functions/_shared/ai/context.ts'
import { generateMessages, type GeneratedVariant } from '../supabase/functions/_shared/ai/generate.ts'

const FIXTURES = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../tests/fixtures/ai-eval')

export interface EvalProspect {
  id: string
  kind: 'person' | 'company'
  language: Language
  firstName?: string
  lastName?: string
  companyName?: string
  jobTitle?: string
  city?: string
  postalCode?: string
  signals: string[]
}
export interface EvalTemplate { key: string; channel: 'email' | 'sms' | 'whatsapp'; language: Language; name: string; subject: string | null; body: string; required: string[] }
export interface EvalAgency {
  name: string
  city: string
  agentName: string
  specialisations: string[]
  propertyTypes: string[]
  zones: string[]
  questionnaire: GenerationContext['agency']['questionnaire']
  guidelines: string[]
  marketFacts: string[]
}

export const CHECKS = ['required', 'placeholders', 'length', 'language', 'facts'] as const
export type CheckName = (typeof CHECKS)[number]
export interface OutputResult { prospect: string; template: string; variant: number; language: Language; source: string; failed: CheckName[]; detail: string[] }

const load = <T>(f: string): T => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as T
export function fixtures() {
  return { prospects: load<EvalProspect[]>('prospects.json'), templates: load<EvalTemplate[]>('templates.json'), agency: load<EvalAgency>('agency.json') }
}

const ISO3: Record<Language, string> = { fr: 'fra', en: 'eng', it: 'ita', es: 'spa', de: 'deu' }
const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').replace(/[’']/g, "'").toLowerCase()

/**
 * The language of a text among the five we write (undefined when too short to
 * tell). Proper names (`names`: agency, agent, prospect, company, town) carry
 * no language and mislead short texts, so they are removed first.
 */
export function detectLanguage(text: string, names: (string | undefined)[] = []): Language | undefined {
  let t = text
  for (const n of names.filter((x): x is string => Boolean(x && x.length > 1)).sort((a, b) => b.length - a.length)) t = t.split(n).join(' ')
  const code = franc(t, { only: Object.values(ISO3), minLength: 20 })
  return (Object.entries(ISO3).find(([, v]) => v === code)?.[0] as Language | undefined)
}

export function contextFor(p: EvalProspect, t: EvalTemplate, a: EvalAgency): GenerationContext {
  return {
    channel: t.channel,
    language: p.language,
    agency: { name: a.name, city: a.city, agentName: a.agentName, specialisations: a.specialisations, propertyTypes: a.propertyTypes, zones: a.zones, questionnaire: a.questionnaire, guidelines: a.guidelines },
    prospect: { kind: p.kind, firstName: p.firstName, lastName: p.lastName, companyName: p.companyName, jobTitle: p.jobTitle, city: p.city, postalCode: p.postalCode, signals: p.signals, history: [] },
    marketFacts: a.marketFacts,
    template: { id: t.key, name: t.name, channel: t.channel, language: t.language, subject: t.subject, body: t.body },
  }
}

/** The checks of one output; `failed` lists what did not hold. */
export function evaluateOutput(v: Pick<GeneratedVariant, 'subject' | 'body' | 'checks'>, p: EvalProspect, t: EvalTemplate, a: EvalAgency): { failed: CheckName[]; detail: string[] } {
  const text = `${v.subject}\n${v.body}`
  const failed: CheckName[] = []
  const detail: string[] = []
  const values: Record<string, string | undefined> = { firstName: p.firstName, lastName: p.lastName, companyName: p.companyName, city: p.city, agencyName: a.name, agentName: a.agentName }
  const missing = t.required.filter((k) => values[k] && !fold(text).includes(fold(values[k]!)))
  if (missing.length) {
    failed.push('required')
    detail.push(`missing ${missing.join(', ')}`)
  }
  if (/\{\{|\}\}/.test(text)) {
    failed.push('placeholders')
    detail.push('{{ left')
  }
  const w = v.checks.warnings.filter((x) => x === 'too_long' || x === 'sms_too_long' || x === 'subject_length')
  if (!v.checks.lengthOk || w.length) {
    failed.push('length')
    detail.push(`length ${v.checks.characters}/${v.checks.limit}${v.checks.sms ? ` ${v.checks.sms.segments} SMS` : ''}`)
  }
  const lang = detectLanguage(v.body, [a.name, a.agentName, p.firstName, p.lastName, p.companyName, p.city])
  if (lang && lang !== p.language) {
    failed.push('language')
    detail.push(`language ${lang} ≠ ${p.language}`)
  }
  if (!v.checks.inventedFacts.ok) {
    failed.push('facts')
    detail.push(`not in context: ${[...v.checks.inventedFacts.numbers, ...v.checks.inventedFacts.names].join(', ')}`)
  }
  return { failed, detail }
}

export type EvalMode = 'sandbox' | 'model' | 'renderer'
export interface EvalReport {
  mode: EvalMode
  model: string
  outputs: OutputResult[]
  generations: number
  fallbacks: number
  costEur: number
  personalisation: number
  byTemplate: Record<string, { outputs: number; pass: Record<CheckName, number> }>
}

export function modeFromEnv(env: NodeJS.ProcessEnv, forceRenderer = false): EvalMode {
  if (forceRenderer) return 'renderer'
  if (env.OPENAI_BASE_URL) return 'sandbox'
  if (env.OPENAI_API_KEY) return 'model'
  return 'renderer'
}

export async function runEval(opts: { mode: EvalMode; env?: NodeJS.ProcessEnv; limit?: number } = { mode: 'renderer' }): Promise<EvalReport> {
  const env = opts.env ?? process.env
  const { prospects, templates, agency } = fixtures()
  const config = aiEnvSchema.parse({
    ...env,
    OPENAI_API_KEY: env.OPENAI_API_KEY ?? 'sk-renderer',
    OPENAI_BASE_URL: opts.mode === 'sandbox' ? env.OPENAI_BASE_URL : opts.mode === 'model' ? undefined : 'http://127.0.0.1:9/v1',
    AI_BACKOFF_BASE_MS: '50',
  })
  // Renderer mode: the breaker is open from the start, so no request leaves and the fallback writes.
  const breaker = new CircuitBreaker({ threshold: opts.mode === 'renderer' ? 1 : 1000, cooldownMs: 3_600_000 })
  if (opts.mode === 'renderer') breaker.onFailure()
  const usage: UsageRecord[] = []
  const deps: AiDeps = {
    openai: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, maxRetries: 0 }),
    config,
    recordUsage: async (r) => void usage.push(r),
    breaker: () => breaker,
  }
  const outputs: OutputResult[] = []
  let generations = 0
  let fallbacks = 0
  let personalisation = 0
  let model = ''
  const pairs = prospects.flatMap((p) => templates.map((t) => [p, t] as const)).slice(0, opts.limit)
  // A few at a time: a real API is rate-limited, the sandbox is local.
  const queue = [...pairs]
  await Promise.all(Array.from({ length: opts.mode === 'model' ? 4 : 6 }, async () => {
    for (let pair = queue.shift(); pair; pair = queue.shift()) {
      const [p, t] = pair
      const r = await generateMessages(deps, { ctx: contextFor(p, t, agency), tenantId: 'ai-eval' })
      generations++
      if (r.fallback) fallbacks++
      model = r.model
      r.variants.forEach((v, i) => {
        personalisation += v.checks.personalisation
        const { failed, detail } = evaluateOutput(v, p, t, agency)
        outputs.push({ prospect: p.id, template: t.key, variant: i, language: p.language, source: v.source, failed, detail })
      })
    }
  }))
  const byTemplate: EvalReport['byTemplate'] = {}
  for (const o of outputs) {
    const b = (byTemplate[o.template] ??= { outputs: 0, pass: Object.fromEntries(CHECKS.map((c) => [c, 0])) as Record<CheckName, number> })
    b.outputs++
    for (const c of CHECKS) if (!o.failed.includes(c)) b.pass[c]++
  }
  return {
    mode: opts.mode,
    model,
    outputs,
    generations,
    fallbacks,
    costEur: usage.reduce((s, u) => s + u.costEur, 0),
    personalisation: outputs.length ? personalisation / outputs.length : 0,
    byTemplate,
  }
}

export function formatReport(r: EvalReport): string {
  const pct = (n: number, d: number) => `${((100 * n) / Math.max(d, 1)).toFixed(0)} %`.padStart(6)
  const lines = [
    `AI evaluation — ${r.mode}${r.mode === 'sandbox' ? ' (plumbing: canned French copy)' : ''}, model ${r.model}`,
    `${r.generations} generations, ${r.outputs.length} outputs, ${r.fallbacks} served by the fallback renderer, cost €${r.costEur.toFixed(4)}, mean personalisation ${r.personalisation.toFixed(0)}/100`,
    '',
    `${'template'.padEnd(20)} ${'outputs'.padStart(7)} ${CHECKS.map((c) => c.padStart(12)).join(' ')}`,
  ]
  const total = { outputs: 0, pass: Object.fromEntries(CHECKS.map((c) => [c, 0])) as Record<CheckName, number> }
  for (const [k, b] of Object.entries(r.byTemplate)) {
    lines.push(`${k.padEnd(20)} ${String(b.outputs).padStart(7)} ${CHECKS.map((c) => pct(b.pass[c], b.outputs).padStart(12)).join(' ')}`)
    total.outputs += b.outputs
    for (const c of CHECKS) total.pass[c] += b.pass[c]
  }
  lines.push(`${'all'.padEnd(20)} ${String(total.outputs).padStart(7)} ${CHECKS.map((c) => pct(total.pass[c], total.outputs).padStart(12)).join(' ')}`)
  const failures = r.outputs.filter((o) => o.failed.length)
  if (failures.length) {
    lines.push('', `Failures (${failures.length}, first 15):`)
    for (const f of failures.slice(0, 15)) lines.push(`  ${f.prospect} ${f.template} #${f.variant + 1} [${f.language}, ${f.source}]: ${f.detail.join('; ')}`)
  }
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mode = modeFromEnv(process.env, process.argv.includes('--renderer'))
  const report = await runEval({ mode })
  console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 1) : formatReport(report))
  if (mode !== 'sandbox' && report.outputs.some((o) => o.failed.length)) process.exitCode = 1
}
