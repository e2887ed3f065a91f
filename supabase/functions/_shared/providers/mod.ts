/**
 * The provider registry: one adapter per kind, created on first use from the
 * environment (validated per provider, so a missing Stripe key only fails
 * code that takes payments), and replaceable in tests.
 *
 *   import { providers } from '../_shared/providers/mod.ts'
 *   await providers().email().send({ … })
 */
import { parseEnv } from '../config.ts'
import { BrevoProvider } from './brevo.ts'
import { RechercheEntreprisesProvider } from './companies.ts'
import { brevoEnvSchema, companiesEnvSchema, openaiEnvSchema, stripeEnvSchema, twilioEnvSchema } from './config.ts'
import { OpenAIProvider } from './openai.ts'
import { StripeProvider } from './stripe.ts'
import type { AiProvider, CompaniesProvider, EmailProvider, PaymentsProvider, ProviderKind, SmsProvider } from './types.ts'
import { TwilioProvider } from './twilio.ts'

export * from './types.ts'
export { BrevoProvider } from './brevo.ts'
export { RechercheEntreprisesProvider } from './companies.ts'
export { createOpenAIClient, OpenAIProvider } from './openai.ts'
export { StripeProvider } from './stripe.ts'
export { RewritingRequestClient, TwilioProvider } from './twilio.ts'

interface Kinds {
  ai: AiProvider
  email: EmailProvider
  sms: SmsProvider
  payments: PaymentsProvider
  companies: CompaniesProvider
}

export interface Registry {
  ai(): AiProvider
  email(): EmailProvider
  sms(): SmsProvider
  payments(): PaymentsProvider
  companies(): CompaniesProvider
}

type Env = Record<string, string | undefined>
const factories: { [K in ProviderKind]: (env: Env) => Kinds[K] } = {
  ai: (env) => OpenAIProvider.fromEnv(parseEnv(openaiEnvSchema, env)),
  email: (env) => new BrevoProvider(parseEnv(brevoEnvSchema, env)),
  sms: (env) => new TwilioProvider(parseEnv(twilioEnvSchema, env)),
  payments: (env) => new StripeProvider(parseEnv(stripeEnvSchema, env)),
  companies: (env) => new RechercheEntreprisesProvider(parseEnv(companiesEnvSchema, env)),
}

/** A registry over `env`; `overrides` replace adapters (tests, alternative providers). */
export function createRegistry(env: Env, overrides: Partial<Kinds> = {}): Registry {
  const made: Partial<Kinds> = { ...overrides }
  const get = <K extends ProviderKind>(k: K): Kinds[K] => (made[k] ??= factories[k](env) as Partial<Kinds>[K]) as Kinds[K]
  return { ai: () => get('ai'), email: () => get('email'), sms: () => get('sms'), payments: () => get('payments'), companies: () => get('companies') }
}

let current: Registry | undefined

/** The process-wide registry over Deno's environment. */
export function providers(): Registry {
  return (current ??= createRegistry(Deno.env.toObject()))
}

/** Replaces the process-wide registry (tests); `undefined` goes back to the environment. */
export function setProviders(r: Registry | undefined): void {
  current = r
}
