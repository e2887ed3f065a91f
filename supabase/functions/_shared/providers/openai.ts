/**
 * AI provider over the official `openai` SDK. OPENAI_BASE_URL points it at the
 * sandbox locally. The SDK's own retries are off: retries, budgets and the
 * circuit breaker belong to the AI layer (_shared/ai), which can also take
 * `client` directly.
 */
import OpenAI from 'openai'
import type { OpenAIEnv } from './config.ts'
import { type AiCompletion, type AiCompletionRequest, type AiProvider, codeForStatus, ProviderError } from './types.ts'

export function createOpenAIClient(env: OpenAIEnv, opts: { timeoutMs?: number; fetch?: typeof fetch } = {}): OpenAI {
  return new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, maxRetries: 0, timeout: opts.timeoutMs ?? 30_000, fetch: opts.fetch })
}

export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e
  if (e instanceof OpenAI.APIError) {
    const ms = Number(e.headers?.get('retry-after-ms') ?? NaN)
    const s = Number(e.headers?.get('retry-after') ?? NaN)
    const retryAfterMs = Number.isFinite(ms) ? ms : Number.isFinite(s) ? s * 1000 : undefined
    const status = e instanceof OpenAI.APIConnectionError ? undefined : e.status
    return new ProviderError('openai', codeForStatus(status), e.message, { status, providerCode: e.code ?? undefined, retryAfterMs, cause: e })
  }
  return new ProviderError('openai', 'unavailable', (e as Error)?.message ?? String(e), { cause: e })
}

export class OpenAIProvider implements AiProvider {
  readonly name = 'openai'
  constructor(readonly client: OpenAI) {}

  static fromEnv(env: OpenAIEnv): OpenAIProvider {
    return new OpenAIProvider(createOpenAIClient(env))
  }

  async complete(req: AiCompletionRequest): Promise<AiCompletion> {
    try {
      const { data, request_id } = await this.client.chat.completions
        .create(
          {
            model: req.model,
            messages: req.messages,
            temperature: req.temperature,
            max_completion_tokens: req.maxTokens,
            response_format: req.jsonSchema ? { type: 'json_schema', json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } } : undefined,
          },
          { signal: req.signal },
        )
        .withResponse()
      const choice = data.choices[0]
      return {
        content: choice?.message.content ?? null,
        refusal: choice?.message.refusal ?? null,
        model: data.model,
        finishReason: choice?.finish_reason ?? 'stop',
        promptTokens: data.usage?.prompt_tokens ?? 0,
        completionTokens: data.usage?.completion_tokens ?? 0,
        requestId: request_id ?? undefined,
      }
    } catch (e) {
      throw toProviderError(e)
    }
  }
}
