/**
 * AI layer settings, read through zod like every other variable.
 *
 * Models are configurable per task: AI_MODEL is the default and
 * AI_MODEL_<TASK> (task upper-cased, dots and dashes as underscores, e.g.
 * AI_MODEL_MESSAGE_GENERATE) overrides it for one task.
 */
import { z } from 'zod'
import { loadEnv } from '../config.ts'

export const aiEnvSchema = z.looseObject({
  OPENAI_API_KEY: z.string().min(1),
  /** Unset in production (api.openai.com); the sandbox URL locally. */
  OPENAI_BASE_URL: z.url().optional(),
  AI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Per attempt, in ms. */
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  /** Attempts in all (1 = no retry). */
  AI_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(6).default(3),
  AI_BACKOFF_BASE_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  AI_BACKOFF_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(8_000),
  /** Consecutive failed calls that open the circuit. */
  AI_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  /** How long the circuit stays open before one probe call is let through. */
  AI_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  AI_USD_TO_EUR: z.coerce.number().positive().max(10).default(0.92),
})
export type AiConfig = z.infer<typeof aiEnvSchema>

export function aiConfig(): AiConfig {
  return loadEnv(aiEnvSchema)
}

export function taskEnvName(task: string): string {
  return `AI_MODEL_${task.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/** The model for `task`: AI_MODEL_<TASK>, else AI_MODEL. */
export function modelFor(task: string, cfg: AiConfig = aiConfig()): string {
  const specific = (cfg as Record<string, unknown>)[taskEnvName(task)]
  return typeof specific === 'string' && specific.trim() ? specific.trim() : cfg.AI_MODEL
}
