/**
 * The one place every AI call goes through.
 *
 * `callStructured` sends a chat completion through the official `openai` SDK
 * (base URL from OPENAI_BASE_URL: the sandbox locally), asks for a JSON-schema
 * structured output derived from a zod schema, validates the answer with that
 * schema, retries transient failures with backoff (honouring Retry-After),
 * bounds each attempt with a timeout, counts failures in a circuit breaker,
 * and records one ai_usage row per call with tokens, cost in euros (per-model
 * price table), latency and outcome. When the provider cannot serve — circuit
 * open, retries exhausted, invalid or refused output — and the caller gave a
 * fallback, the fallback's value is returned with `fallback: true` and the
 * reason code, so the UI can say so. Failed calls are recorded with cost 0.
 *
 * The SDK's own retries are disabled (maxRetries: 0) so that attempts,
 * backoff and breaker accounting happen here, once.
 */
import OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { z } from 'zod'
import type { Logger } from '../log.ts'
import { CircuitBreaker, breakerFor } from './breaker.ts'
import { type AiConfig, modelFor } from './config.ts'
import { AiError, type AiErrorCode } from './errors.ts'
import { costEur } from './pricing.ts'
import { attemptsOf, RetryAfterTooLong, withRetry } from './retry.ts'

export type AiOutcome = 'ok' | 'error' | 'fallback'

export interface UsageRecord {
  tenantId: string
  userId?: string
  task: string
  model: string
  promptTokens: number
  completionTokens: number
  costEur: number
  latencyMs: number
  outcome: AiOutcome
  errorCode?: string
  attempts: number
  requestId?: string
}

export interface AiDeps {
  openai: OpenAI
  config: AiConfig
  /** Writes the ai_usage row (usage.ts: recordUsage through the service role). */
  recordUsage: (row: UsageRecord) => Promise<void>
  logger?: Logger
  breaker?: (key: string) => CircuitBreaker
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  now?: () => number
}

export interface StructuredCall<T> {
  tenantId: string
  userId?: string
  task: string
  requestId?: string
  messages: ChatCompletionMessageParam[]
  schema: z.ZodType<T>
  schemaName: string
  temperature?: number
  maxTokens?: number
  /** Deterministic answer when the provider cannot serve; without it, AiError is thrown. */
  fallback?: (reason: AiErrorCode) => T
  /**
   * Streaming: when set, the completion is requested with `stream: true` and
   * each content delta is handed over as it arrives (the caller relays it to
   * the user). `onReset` is called before a retried attempt streams again, so
   * the caller can drop the partial text of the failed one.
   */
  onDelta?: (text: string) => void
  onReset?: () => void
}

export interface CallResult<T> {
  value: T
  fallback: boolean
  reason?: AiErrorCode
  model: string
  promptTokens: number
  completionTokens: number
  costEur: number
  latencyMs: number
  attempts: number
}

export function createOpenAI(cfg: AiConfig): OpenAI {
  return new OpenAI({ apiKey: cfg.OPENAI_API_KEY, baseURL: cfg.OPENAI_BASE_URL, maxRetries: 0, timeout: cfg.AI_TIMEOUT_MS })
}

/**
 * A JSON schema OpenAI's strict structured outputs accept, from a zod schema:
 * every object closed (additionalProperties: false) and every property required.
 */
export function strictJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const raw = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (!node || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(node)) if (k !== '$schema') out[k] = visit(v)
    if (out.type === 'object' && out.properties && typeof out.properties === 'object') {
      out.additionalProperties = false
      out.required = Object.keys(out.properties as object)
    }
    return out
  }
  return visit(raw) as Record<string, unknown>
}

class InvalidOutput extends Error {
  constructor(readonly code: 'ai_invalid_output' | 'ai_refused', message: string) {
    super(message)
    this.name = 'InvalidOutput'
  }
}

class AttemptTimeout extends Error {
  readonly code = 'ai_timeout'
  constructor(ms: number) {
    super(`the provider did not answer within ${ms} ms`)
    this.name = 'AttemptTimeout'
  }
}

/** The provider failure as a stable code. */
function reasonOf(e: unknown): AiErrorCode {
  if (e instanceof InvalidOutput) return e.code
  if (e instanceof AttemptTimeout || e instanceof OpenAI.APIConnectionTimeoutError) return 'ai_timeout'
  if (e instanceof RetryAfterTooLong) return 'ai_provider_unavailable'
  return 'ai_provider_unavailable'
}

/**
 * One streamed chat completion, assembled into the shape of a non-streamed
 * one (content, refusal, finish reason, usage from the last chunk through
 * `stream_options.include_usage`), so validation and accounting are the same.
 */
async function streamCompletion(
  openai: OpenAI,
  params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
  onDelta: (text: string) => void,
  opts: { signal: AbortSignal; timeout: number; maxRetries: number },
): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  const stream = await openai.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, opts)
  let content = ''
  let refusal: string | null = null
  let finish: OpenAI.Chat.Completions.ChatCompletion.Choice['finish_reason'] | null = null
  let model = params.model
  let id = ''
  let usage: OpenAI.Completions.CompletionUsage | undefined
  for await (const chunk of stream) {
    id ||= chunk.id
    model = chunk.model || model
    if (chunk.usage) usage = chunk.usage
    const choice = chunk.choices?.[0]
    if (!choice) continue
    const delta = choice.delta ?? {}
    if (typeof delta.content === 'string' && delta.content) {
      content += delta.content
      onDelta(delta.content)
    }
    if (typeof delta.refusal === 'string' && delta.refusal) refusal = (refusal ?? '') + delta.refusal
    if (choice.finish_reason) finish = choice.finish_reason
  }
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, finish_reason: finish ?? 'stop', logprobs: null, message: { role: 'assistant', content: refusal ? null : content, refusal } }],
    usage,
  }
}

export async function callStructured<T>(deps: AiDeps, call: StructuredCall<T>): Promise<CallResult<T>> {
  const cfg = deps.config
  const now = deps.now ?? Date.now
  const model = modelFor(call.task, cfg)
  const breaker = (deps.breaker ?? ((k: string) => breakerFor(k, { threshold: cfg.AI_BREAKER_THRESHOLD, cooldownMs: cfg.AI_BREAKER_COOLDOWN_MS, now })))(
    `openai:${model}`,
  )
  const started = now()
  const base = { tenantId: call.tenantId, userId: call.userId, task: call.task, model, requestId: call.requestId }

  type RowIn = Omit<UsageRecord, 'tenantId' | 'userId' | 'task' | 'requestId' | 'model'> & { model?: string }
  const record = async (row: RowIn) => {
    try {
      await deps.recordUsage({ ...base, ...row })
    } catch (e) {
      // The answer is already paid for; losing its ledger row must be loud, not fatal.
      deps.logger?.error('ai usage could not be recorded', e, { task: call.task, outcome: row.outcome })
    }
  }

  const serveFallback = async (reason: AiErrorCode, attempts: number, tokens = { p: 0, c: 0 }, cause?: unknown): Promise<CallResult<T>> => {
    const latencyMs = now() - started
    if (!call.fallback) {
      await record({ promptTokens: tokens.p, completionTokens: tokens.c, costEur: 0, latencyMs, outcome: 'error', errorCode: reason, attempts })
      throw new AiError(reason, { model }, { cause })
    }
    const value = call.fallback(reason)
    await record({ promptTokens: tokens.p, completionTokens: tokens.c, costEur: 0, latencyMs, outcome: 'fallback', errorCode: reason, attempts })
    deps.logger?.warn('ai fallback served', { task: call.task, model, reason, attempts })
    return { value, fallback: true, reason, model, promptTokens: tokens.p, completionTokens: tokens.c, costEur: 0, latencyMs, attempts }
  }

  if (!breaker.tryAcquire()) return serveFallback('ai_circuit_open', 0)

  const jsonSchema = strictJsonSchema(call.schema)
  let completion: OpenAI.Chat.Completions.ChatCompletion
  let attempts: number
  try {
    let attempt = 0
    const r = await withRetry(
      async () => {
        const ctrl = new AbortController()
        const timer = setTimeout(() => ctrl.abort(new AttemptTimeout(cfg.AI_TIMEOUT_MS)), cfg.AI_TIMEOUT_MS)
        const params = {
          model,
          messages: call.messages,
          temperature: call.temperature ?? 0.7,
          max_completion_tokens: call.maxTokens ?? 1200,
          response_format: { type: 'json_schema' as const, json_schema: { name: call.schemaName, schema: jsonSchema, strict: true } },
        }
        try {
          if (attempt++ > 0) call.onReset?.()
          if (call.onDelta) return await streamCompletion(deps.openai, params, call.onDelta, { signal: ctrl.signal, timeout: cfg.AI_TIMEOUT_MS, maxRetries: 0 })
          return await deps.openai.chat.completions.create(params, { signal: ctrl.signal, timeout: cfg.AI_TIMEOUT_MS, maxRetries: 0 })
        } catch (e) {
          if (ctrl.signal.aborted) throw new AttemptTimeout(cfg.AI_TIMEOUT_MS)
          throw e
        } finally {
          clearTimeout(timer)
        }
      },
      {
        maxAttempts: cfg.AI_MAX_ATTEMPTS,
        baseMs: cfg.AI_BACKOFF_BASE_MS,
        maxMs: cfg.AI_BACKOFF_MAX_MS,
        sleep: deps.sleep,
        random: deps.random,
        now,
        onRetry: ({ attempt, delayMs, error }) => deps.logger?.warn('ai call retried', { task: call.task, model, attempt, delayMs }, error),
      },
    )
    completion = r.value
    attempts = r.attempts
  } catch (e) {
    breaker.onFailure()
    deps.logger?.warn('ai call failed', { task: call.task, model, breaker: breaker.state }, e)
    return serveFallback(reasonOf(e), attemptsOf(e), undefined, e)
  }
  // The provider answered: it is up, whatever the content is worth.
  breaker.onSuccess()

  const usage = { p: completion.usage?.prompt_tokens ?? 0, c: completion.usage?.completion_tokens ?? 0 }
  const answeredModel = completion.model || model
  let value: T
  try {
    const msg = completion.choices[0]?.message
    if (!msg) throw new InvalidOutput('ai_invalid_output', 'no choice in the answer')
    if (msg.refusal) throw new InvalidOutput('ai_refused', msg.refusal)
    if (completion.choices[0].finish_reason === 'length') throw new InvalidOutput('ai_invalid_output', 'the answer was cut at max tokens')
    let parsed: unknown
    try {
      parsed = JSON.parse(msg.content ?? '')
    } catch {
      throw new InvalidOutput('ai_invalid_output', 'the answer is not JSON')
    }
    const checked = call.schema.safeParse(parsed)
    if (!checked.success) throw new InvalidOutput('ai_invalid_output', `the answer does not match ${call.schemaName}: ${checked.error.issues[0]?.message}`)
    value = checked.data
  } catch (e) {
    if (!(e instanceof InvalidOutput)) throw e
    deps.logger?.warn('ai output rejected', { task: call.task, model: answeredModel, reason: e.code, detail: e.message })
    return serveFallback(e.code, attempts, usage, e)
  }

  const cost = costEur(answeredModel, usage.p, usage.c, cfg.AI_USD_TO_EUR)
  if (!cost.known) deps.logger?.warn('ai model missing from the price table; charged at the highest rate', { model: answeredModel })
  const latencyMs = now() - started
  await record({ model: answeredModel, promptTokens: usage.p, completionTokens: usage.c, costEur: cost.eur, latencyMs, outcome: 'ok', attempts })
  return { value, fallback: false, model: answeredModel, promptTokens: usage.p, completionTokens: usage.c, costEur: cost.eur, latencyMs, attempts }
}
