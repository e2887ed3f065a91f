import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { CircuitBreaker } from './breaker.ts'
import { callStructured, type AiDeps, type UsageRecord } from './client.ts'
import { aiEnvSchema } from './config.ts'
import { AiError } from './errors.ts'
import { startFakeOpenAI } from './fake_openai.ts'
import { generateMessages } from './generate.ts'
import { costEur } from './pricing.ts'
import { variantsSchema } from './prompt.ts'
import { backoffMs, retryAfterMs } from './retry.ts'
import type { GenerationContext } from './context.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }
const ctx: GenerationContext = {
  channel: 'email', language: 'fr',
  agency: { name: 'Agence du Parc' },
  prospect: { kind: 'person', firstName: 'Anne', city: 'Levallois' },
}

function setup(script: Parameters<typeof startFakeOpenAI>[0], cfg: Record<string, string> = {}) {
  const fake = startFakeOpenAI(script)
  const config = aiEnvSchema.parse({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, AI_MAX_ATTEMPTS: '3', AI_BACKOFF_BASE_MS: '100', AI_BACKOFF_MAX_MS: '5000', AI_TIMEOUT_MS: '500', ...cfg })
  const usage: UsageRecord[] = []
  const sleeps: number[] = []
  let clock = 1_000_000
  const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 10_000, now: () => clock })
  const deps: AiDeps = {
    openai: new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }),
    config,
    recordUsage: async (r) => void usage.push(r),
    breaker: () => breaker,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    now: () => clock,
  }
  return { fake, deps, usage, sleeps, breaker, advance: (ms: number) => (clock += ms) }
}

const call = (fallback = true) => ({
  tenantId: crypto.randomUUID(), task: 'message.generate', schemaName: 'message_variants', schema: variantsSchema,
  messages: [{ role: 'system' as const, content: 'x' }, { role: 'user' as const, content: '- [agency.name] Nom de l’agence: Agence du Parc' }],
  fallback: fallback ? () => ({ variants: [1, 2, 3].map((i) => ({ subject: `s${i}`, body: `fallback ${i}`, angle: 'a' })) }) : undefined,
})

Deno.test({ name: 'client: a structured answer is parsed, validated and charged from the price table', ...opts, fn: async () => {
  const { fake, deps, usage } = setup([])
  try {
    const r = await callStructured(deps, call())
    assert.equal(r.fallback, false)
    assert.equal(r.value.variants.length, 3)
    const req = fake.requests[0] as { response_format: { type: string; json_schema: { strict: boolean; name: string } }; model: string }
    assert.deepEqual([req.response_format.type, req.response_format.json_schema.strict, req.response_format.json_schema.name], ['json_schema', true, 'message_variants'])
    assert.equal(req.model, 'gpt-4o-mini')
    assert.equal(usage.length, 1)
    assert.deepEqual([usage[0].outcome, usage[0].promptTokens, usage[0].completionTokens, usage[0].attempts], ['ok', 1000, 400, 1])
    // gpt-4o-mini: (1000 × 0.15 + 400 × 0.60) / 1e6 USD × 0.92
    assert.equal(usage[0].costEur, Math.round(((1000 * 0.15 + 400 * 0.6) / 1e6) * 0.92 * 1e6) / 1e6)
    assert.equal(r.costEur, usage[0].costEur)
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: the model is configurable per task', ...opts, fn: async () => {
  const { fake, deps } = setup([], { AI_MODEL: 'gpt-4.1-mini', AI_MODEL_MESSAGE_GENERATE: 'gpt-4.1-nano' })
  try {
    await callStructured(deps, call())
    await callStructured(deps, { ...call(), task: 'template.suggest' })
    assert.deepEqual(fake.requests.map((r) => r.model), ['gpt-4.1-nano', 'gpt-4.1-mini'])
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: 429 and 5xx are retried, waiting what Retry-After asks, else exponential backoff', ...opts, fn: async () => {
  const { fake, deps, usage, sleeps } = setup([{ status: 429, headers: { 'retry-after': '2' } }, { status: 503 }])
  try {
    const r = await callStructured(deps, call())
    assert.equal(r.fallback, false)
    assert.equal(r.attempts, 3)
    assert.equal(fake.requests.length, 3)
    // Retry-After: 2 s, then backoff for attempt 2 with jitter 0.5: min(5000, 100·2) · 0.5
    assert.deepEqual(sleeps, [2000, 100])
    assert.deepEqual([usage[0].outcome, usage[0].attempts], ['ok', 3])
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: a 400 is not retried; exhausted retries serve the fallback at no charge', ...opts, fn: async () => {
  const { fake, deps, usage } = setup([{ status: 400 }, { status: 500 }, { status: 500 }, { status: 500 }])
  try {
    const bad = await callStructured(deps, call())
    assert.deepEqual([bad.fallback, bad.reason, fake.requests.length], [true, 'ai_provider_unavailable', 1])
    const down = await callStructured(deps, call())
    assert.deepEqual([down.fallback, down.value.variants[0].body, fake.requests.length], [true, 'fallback 1', 4])
    assert.deepEqual(usage.map((u) => [u.outcome, u.costEur, u.errorCode, u.attempts]), [
      ['fallback', 0, 'ai_provider_unavailable', 1],
      ['fallback', 0, 'ai_provider_unavailable', 3],
    ])
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: a Retry-After beyond the cap is not waited for', ...opts, fn: async () => {
  const { fake, deps, sleeps } = setup([{ status: 429, headers: { 'retry-after': '120' } }])
  try {
    const r = await callStructured(deps, call())
    assert.deepEqual([r.fallback, fake.requests.length, sleeps], [true, 1, []])
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: the breaker opens after N failed calls, falls back without calling, then a half-open probe closes it', ...opts, fn: async () => {
  const { fake, deps, usage, breaker, advance } = setup([], { AI_MAX_ATTEMPTS: '1' })
  try {
    fake.script = [{ status: 500 }, { status: 502 }]
    await callStructured(deps, call())
    assert.equal(breaker.state, 'closed')
    await callStructured(deps, call())
    assert.equal(breaker.state, 'open')
    const blocked = await callStructured(deps, call())
    assert.deepEqual([blocked.fallback, blocked.reason, fake.requests.length], [true, 'ai_circuit_open', 2])
    assert.equal(usage.at(-1)?.attempts, 0)
    advance(10_000)
    assert.equal(breaker.state, 'half_open')
    // The probe fails: open again for another cooldown.
    fake.script = [{ status: 500 }]
    await callStructured(deps, call())
    assert.equal(breaker.state, 'open')
    assert.equal((await callStructured(deps, call())).reason, 'ai_circuit_open')
    advance(10_000)
    const probe = await callStructured(deps, call())
    assert.deepEqual([probe.fallback, breaker.state, fake.requests.length], [false, 'closed', 4])
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: half-open lets exactly one probe through', ...opts, fn: () => {
  let t = 0
  const b = new CircuitBreaker({ threshold: 1, cooldownMs: 5, now: () => t })
  b.onFailure()
  assert.equal(b.tryAcquire(), false)
  t = 5
  assert.equal(b.tryAcquire(), true)
  assert.equal(b.tryAcquire(), false)
  b.onSuccess()
  assert.equal(b.tryAcquire(), true)
}})

Deno.test({ name: 'client: invalid JSON, a schema mismatch or a refusal fall back with their code and no charge', ...opts, fn: async () => {
  const { fake, deps, usage, breaker } = setup([
    { content: '{"variants": [' },
    { content: JSON.stringify({ variants: [{ subject: 'a', body: 'b', angle: 'c' }] }) },
    { refusal: 'I cannot help with that.' },
  ])
  try {
    const reasons = []
    for (let i = 0; i < 3; i++) reasons.push((await callStructured(deps, call())).reason)
    assert.deepEqual(reasons, ['ai_invalid_output', 'ai_invalid_output', 'ai_refused'])
    assert.ok(usage.every((u) => u.outcome === 'fallback' && u.costEur === 0 && u.promptTokens === 1000))
    // The provider answered each time: the breaker stays closed.
    assert.equal(breaker.state, 'closed')
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: an attempt that exceeds the timeout is abandoned and retried', ...opts, fn: async () => {
  const { fake, deps, usage } = setup(['hang'], { AI_TIMEOUT_MS: '200' })
  try {
    const r = await callStructured(deps, call())
    assert.deepEqual([r.fallback, r.attempts], [false, 2])
    assert.equal(usage[0].outcome, 'ok')
  } finally { await fake.close() }
}})

Deno.test({ name: 'client: without a fallback, failure is an AiError with a stable code and an error row', ...opts, fn: async () => {
  const { fake, deps, usage } = setup([{ status: 500 }, { status: 500 }, { status: 500 }])
  try {
    await assert.rejects(callStructured(deps, call(false)), (e) => e instanceof AiError && e.code === 'ai_provider_unavailable' && e.status === 503)
    assert.deepEqual([usage[0].outcome, usage[0].costEur], ['error', 0])
  } finally { await fake.close() }
}})

Deno.test({ name: 'generate: three distinct checked variants through the SDK, or the flagged fallback', ...opts, fn: async () => {
  const { fake, deps } = setup([])
  try {
    const r = await generateMessages(deps, { ctx, tenantId: crypto.randomUUID() })
    assert.equal(r.fallback, false)
    assert.equal(new Set(r.variants.map((v) => v.body)).size, 3)
    assert.ok(r.variants.every((v) => v.source === 'ai' && v.checks.inventedFacts.ok), JSON.stringify(r.variants.map((v) => v.checks.inventedFacts)))
    assert.ok(r.factsUsed.includes('Prénom du prospect : Anne'))
    // A duplicate from the model is replaced by a rendered variant.
    fake.script = [{ content: JSON.stringify({ variants: [1, 2, 3].map(() => ({ subject: 'Même', body: 'Même texte', angle: 'x' })) }) }]
    const dup = await generateMessages(deps, { ctx, tenantId: crypto.randomUUID() })
    assert.deepEqual(dup.variants.map((v) => v.source), ['ai', 'template', 'template'])
    assert.equal(new Set(dup.variants.map((v) => v.body)).size, 3)
    fake.script = [{ status: 500 }, { status: 500 }, { status: 500 }]
    const fb = await generateMessages(deps, { ctx, tenantId: crypto.randomUUID() })
    assert.deepEqual([fb.fallback, fb.fallbackNotice?.code, fb.costEur], [true, 'ai_provider_unavailable', 0])
    assert.match(fb.fallbackNotice!.fr, /modèle standard/)
  } finally { await fake.close() }
}})

Deno.test('retry: Retry-After in seconds, as an HTTP date, and retry-after-ms', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' })), 3000)
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' })), 250)
  assert.equal(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000), 6_000)
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' })), undefined)
  assert.deepEqual([1, 2, 3, 10].map((n) => backoffMs(n, { baseMs: 100, maxMs: 1000, random: () => 1 })), [100, 200, 400, 1000])
})

Deno.test('pricing: known models, dated snapshots, and unknown models at the highest rate', () => {
  assert.deepEqual(costEur('gpt-4o-mini-2024-07-18', 1_000_000, 0, 1), { eur: 0.15, known: true })
  const unknown = costEur('mystery-model', 1_000_000, 1_000_000, 1)
  assert.equal(unknown.known, false)
  assert.ok(unknown.eur >= 12.5)
})
