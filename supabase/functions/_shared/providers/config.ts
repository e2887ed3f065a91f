/**
 * Provider settings, read through zod like every other variable. Each
 * provider has its own schema so that a function using only e-mail does not
 * need Stripe keys. Base URLs are unset in production (the SDK defaults) and
 * point at the sandbox locally (scripts/local-stack/config.ts stackEnv()).
 */
import { z } from 'zod'

export const openaiEnvSchema = z.looseObject({
  OPENAI_API_KEY: z.string().min(1),
  OPENAI_BASE_URL: z.url().optional(),
})

export const brevoEnvSchema = z.looseObject({
  BREVO_API_KEY: z.string().min(1),
  BREVO_BASE_URL: z.url().optional(),
  /** The token Brevo webhooks carry (configured on the webhook in Brevo's dashboard). */
  BREVO_WEBHOOK_TOKEN: z.string().min(8),
})

export const twilioEnvSchema = z.looseObject({
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID (AC…)'),
  TWILIO_AUTH_TOKEN: z.string().min(8),
  /** Replaces https://api.twilio.com (and regional hosts) in every request. */
  TWILIO_API_BASE_URL: z.url().optional(),
})

export const stripeEnvSchema = z.looseObject({
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'must be a secret or restricted key'),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_'),
  /** Only scheme, host and port are used: the SDK always requests /v1/… there. */
  STRIPE_API_BASE_URL: z.url().optional(),
})

export const companiesEnvSchema = z.looseObject({
  COMPANIES_API_URL: z.url().default('https://recherche-entreprises.api.gouv.fr'),
  COMPANIES_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
})

export type OpenAIEnv = z.infer<typeof openaiEnvSchema>
export type BrevoEnv = z.infer<typeof brevoEnvSchema>
export type TwilioEnv = z.infer<typeof twilioEnvSchema>
export type StripeEnv = z.infer<typeof stripeEnvSchema>
export type CompaniesEnv = z.infer<typeof companiesEnvSchema>
