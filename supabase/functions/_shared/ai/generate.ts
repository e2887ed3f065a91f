/**
 * Message generation: prompt → structured call (or the deterministic
 * fallback) → checks. Returns three distinct variants, each with its checks,
 * the facts used, and whether the fallback wrote them (with the reason the UI
 * shows). Budget enforcement happens before, where the caller's database
 * identity is known (ai-generate handler: usage.ts checkBudget).
 */
import { callStructured, type AiDeps } from './client.ts'
import { checkVariant, fold, type VariantChecks } from './checks.ts'
import { contextText, type Fact, type GenerationContext } from './context.ts'
import { type AiErrorCode, fallbackNotice } from './errors.ts'
import { buildPrompt, variantsSchema, type VariantsOutput } from './prompt.ts'
import { fallbackVariants, type Variant } from './render.ts'

export const GENERATE_TASK = 'message.generate'

export interface GeneratedVariant extends Variant {
  angle: string
  /** 'ai' or 'template' (the deterministic renderer). */
  source: 'ai' | 'template'
  checks: VariantChecks
}

export interface GenerateResult {
  variants: GeneratedVariant[]
  facts: Fact[]
  factsUsed: string[]
  fallback: boolean
  fallbackNotice?: { code: AiErrorCode; fr: string; en: string }
  model: string
  costEur: number
  promptTokens: number
  completionTokens: number
  latencyMs: number
  attempts: number
}

export interface GenerateRequest {
  ctx: GenerationContext
  tenantId: string
  userId?: string
  requestId?: string
  /** Streaming: the model's raw output as it arrives (see callStructured). */
  onDelta?: (text: string) => void
  onReset?: () => void
}

const ANGLES = ['direct', 'local value', 'question'] as const

export async function generateMessages(deps: AiDeps, req: GenerateRequest): Promise<GenerateResult> {
  const { ctx } = req
  const prompt = buildPrompt(ctx)
  const templated = () => fallbackVariants(ctx)
  const r = await callStructured<VariantsOutput>(deps, {
    tenantId: req.tenantId,
    userId: req.userId,
    task: GENERATE_TASK,
    requestId: req.requestId,
    messages: prompt.messages,
    schema: variantsSchema,
    schemaName: 'message_variants',
    maxTokens: ctx.channel === 'email' ? 1400 : 700,
    fallback: () => ({ variants: templated().map((v, i) => ({ ...v, angle: ANGLES[i] })) }),
    onDelta: req.onDelta,
    onReset: req.onReset,
  })

  const context = contextText(ctx, prompt.facts)
  const normalise = (v: { subject: string; body: string; angle: string }) => ({
    subject: ctx.channel === 'email' ? v.subject.trim() : '',
    body: v.body.replace(/\r\n/g, '\n').trim(),
    angle: v.angle.trim(),
  })
  // Three distinct variants: a duplicate the model returns is replaced by a rendered one.
  const seen = new Set<string>()
  const spare = templated()
  const variants: GeneratedVariant[] = r.value.variants.map((raw, i) => {
    let v = normalise(raw)
    let source: 'ai' | 'template' = r.fallback ? 'template' : 'ai'
    if (seen.has(fold(v.body))) {
      v = { ...spare[i], angle: ANGLES[i] }
      source = 'template'
    }
    seen.add(fold(v.body))
    return { ...v, source, checks: checkVariant(v, ctx, context) }
  })

  return {
    variants,
    facts: prompt.facts,
    factsUsed: prompt.factsUsed,
    fallback: r.fallback,
    fallbackNotice: r.fallback && r.reason ? fallbackNotice(r.reason) : undefined,
    model: r.model,
    costEur: r.costEur,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    latencyMs: r.latencyMs,
    attempts: r.attempts,
  }
}
