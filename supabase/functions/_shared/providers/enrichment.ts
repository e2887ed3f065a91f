/**
 * Enrichment provider: finds a company's website and generic professional
 * e-mail with web search, and lets the AI break ties between look-alike
 * sites. Web search speaks Brave Search's API (ENRICHMENT_SEARCH_URL,
 * ENRICHMENT_SEARCH_KEY; the sandbox's /enrichment locally); the AI is the
 * registry's AiProvider (OpenAI; the sandbox locally) with a strict JSON
 * schema, and its answer is only an index into candidates found by search,
 * so it cannot invent a site.
 */
import { z } from 'zod'
import { parseEnv } from '../config.ts'
import { type CompanyQuery, type Finding, matchFindings, type SearchResult, websiteCandidates } from '../enrichment/match.ts'
import { type AiProvider, codeForStatus, ProviderError } from './types.ts'

export type { CompanyQuery, Finding } from '../enrichment/match.ts'

export interface EnrichmentProvider {
  name: string
  lookup(q: CompanyQuery): Promise<Finding[]>
}

export const enrichmentEnvSchema = z.looseObject({
  ENRICHMENT_SEARCH_URL: z.url().default('https://api.search.brave.com'),
  ENRICHMENT_SEARCH_KEY: z.string().min(1),
  ENRICHMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  ENRICHMENT_AI_MODEL: z.string().default('gpt-4o-mini'),
})
export type EnrichmentEnv = z.infer<typeof enrichmentEnvSchema>

const SearchAnswer = z.looseObject({
  web: z.looseObject({ results: z.array(z.looseObject({ title: z.string().default(''), url: z.string(), description: z.string().default('') })).default([]) }).optional(),
})

export class WebSearchEnrichmentProvider implements EnrichmentProvider {
  readonly name = 'web-search+ai'
  constructor(private env: EnrichmentEnv, private ai?: AiProvider, private fetchFn: typeof fetch = fetch) {}

  static fromEnv(env: Record<string, string | undefined>, ai?: AiProvider): WebSearchEnrichmentProvider {
    return new WebSearchEnrichmentProvider(parseEnv(enrichmentEnvSchema, env), ai)
  }

  async search(query: string): Promise<SearchResult[]> {
    const url = `${this.env.ENRICHMENT_SEARCH_URL.replace(/\/$/, '')}/res/v1/web/search?${new URLSearchParams({ q: query, count: '10', country: 'FR', search_lang: 'fr' })}`
    let res: Response
    try {
      res = await this.fetchFn(url, { headers: { accept: 'application/json', 'x-subscription-token': this.env.ENRICHMENT_SEARCH_KEY }, signal: AbortSignal.timeout(this.env.ENRICHMENT_TIMEOUT_MS) })
    } catch (e) {
      throw new ProviderError('web-search', 'unavailable', (e as Error).message, { cause: e })
    }
    const body = await res.json().catch(() => undefined)
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after') ?? NaN)
      throw new ProviderError('web-search', codeForStatus(res.status), `HTTP ${res.status}`, { status: res.status, retryAfterMs: Number.isFinite(retry) ? retry * 1000 : undefined })
    }
    const parsed = SearchAnswer.safeParse(body)
    if (!parsed.success) throw new ProviderError('web-search', 'unavailable', 'unexpected answer')
    return parsed.data.web?.results ?? []
  }

  /** Asks the AI which candidate is the company's own site; null when it cannot tell or fails. */
  async tieBreak(q: CompanyQuery, candidates: string[], results: SearchResult[]): Promise<number | null> {
    if (!this.ai || candidates.length < 2) return null
    try {
      const answer = await this.ai.complete({
        model: this.env.ENRICHMENT_AI_MODEL,
        temperature: 0,
        maxTokens: 50,
        messages: [
          { role: 'system', content: 'Tu identifies le site officiel d\'une entreprise française parmi des candidats issus d\'une recherche web. Réponds en JSON.' },
          { role: 'user', content: `Entreprise : ${q.name} (${[q.postalCode, q.city].filter(Boolean).join(' ')}).\nCandidats :\n${candidates.map((c, i) => `${i}. ${c}`).join('\n')}\nRésultats :\n${results.map((r) => `- ${r.url} — ${r.title} — ${r.description}`).join('\n').slice(0, 3000)}\nDonne l'index du site officiel, ou -1 si incertain.` },
        ],
        jsonSchema: { name: 'official_site', schema: { type: 'object', additionalProperties: false, required: ['index'], properties: { index: { type: 'integer' } } } },
      })
      const idx = z.object({ index: z.number().int() }).parse(JSON.parse(answer.content ?? '{}')).index
      return idx >= 0 && idx < candidates.length ? idx : null
    } catch {
      return null
    }
  }

  async lookup(q: CompanyQuery): Promise<Finding[]> {
    const results = await this.search([q.name, q.city].filter(Boolean).join(' '))
    const cands = websiteCandidates(q, results)
    const ambiguous = cands.length > 1 && cands[0].similarity - cands[1].similarity < 0.1
    const tie = ambiguous ? await this.tieBreak(q, cands.map((c) => c.url), results) : null
    return matchFindings(q, results, tie)
  }
}

let current: EnrichmentProvider | undefined
/** The enrichment provider over Deno's environment (the registry's AI provider for tie-breaks). */
export async function enrichmentProvider(): Promise<EnrichmentProvider> {
  if (!current) {
    const { providers } = await import('./mod.ts')
    let ai: AiProvider | undefined
    try {
      ai = providers().ai()
    } catch {
      ai = undefined // no AI configured: ties stay ambiguous (low confidence, needs review)
    }
    current = WebSearchEnrichmentProvider.fromEnv(Deno.env.toObject(), ai)
  }
  return current
}
export function setEnrichmentProvider(p: EnrichmentProvider | undefined): void {
  current = p
}
