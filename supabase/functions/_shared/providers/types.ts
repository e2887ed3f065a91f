/**
 * One interface per provider kind. Functions and workers depend on these,
 * never on an SDK: the registry (mod.ts) picks the adapter — the real SDK,
 * pointed at the provider or, locally, at the sandbox through a base-URL
 * override — and tests can hand in their own implementation.
 */
import type OpenAI from 'openai'
import type Stripe from 'stripe'

export type ProviderKind = 'ai' | 'email' | 'sms' | 'payments' | 'companies'

/**
 * Why a provider call failed, in terms a worker can act on:
 * `retryable` errors go back to the queue (with `retryAfterMs` when the
 * provider said so); the others are final for that message.
 */
export type ProviderErrorCode =
  | 'auth' // bad credentials or configuration: fix the setup, do not retry
  | 'invalid' // the request itself is wrong (bad number, missing field)
  | 'rejected' // the provider refuses this recipient (unsubscribed, blocked)
  | 'not_found'
  | 'rate_limited'
  | 'unavailable' // 5xx, timeouts, network errors

export class ProviderError extends Error {
  readonly retryable: boolean
  constructor(
    readonly provider: string,
    readonly code: ProviderErrorCode,
    message: string,
    readonly opts: { status?: number; providerCode?: string | number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, { cause: opts.cause })
    this.name = 'ProviderError'
    this.retryable = code === 'rate_limited' || code === 'unavailable'
  }
  get status(): number | undefined {
    return this.opts.status
  }
  get providerCode(): string | number | undefined {
    return this.opts.providerCode
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs
  }
}

/** Maps an HTTP status to the error code a worker acts on. */
export function codeForStatus(status: number | undefined): ProviderErrorCode {
  if (status === undefined) return 'unavailable'
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limited'
  if (status >= 500) return 'unavailable'
  return 'invalid'
}

// ---------- AI ----------
export interface AiMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}
export interface AiCompletionRequest {
  model: string
  messages: AiMessage[]
  /** A strict JSON schema: the answer is JSON valid for it. */
  jsonSchema?: { name: string; schema: Record<string, unknown> }
  temperature?: number
  maxTokens?: number
  signal?: AbortSignal
}
export interface AiCompletion {
  content: string | null
  refusal: string | null
  model: string
  finishReason: string
  promptTokens: number
  completionTokens: number
  requestId?: string
}
export interface AiProvider {
  name: string
  complete(req: AiCompletionRequest): Promise<AiCompletion>
  /** The configured SDK client, for the AI layer (_shared/ai) that drives it itself. */
  readonly client: OpenAI
}

// ---------- E-mail ----------
export interface EmailAddress {
  email: string
  name?: string
}
export interface EmailMessage {
  from: EmailAddress
  to: EmailAddress[]
  replyTo?: EmailAddress
  subject: string
  html?: string
  text?: string
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  headers?: Record<string, string>
  tags?: string[]
  /** Files sent with the message (content base64-encoded), e.g. a report's PDF. */
  attachments?: { name: string; contentBase64: string }[]
}
export interface EmailProvider {
  name: string
  send(msg: EmailMessage): Promise<{ providerMessageId: string }>
  /** Checks the shared token a webhook call carries (`Authorization: Bearer …`). */
  verifyWebhook(req: { headers: Headers }): boolean
}

// ---------- SMS / WhatsApp ----------
export interface SmsMessage {
  /** E.164 (+33612345678). */
  to: string
  from: string
  body: string
  channel?: 'sms' | 'whatsapp'
  statusCallback?: string
  mediaUrls?: string[]
}
export interface SmsResult {
  providerMessageId: string
  status: string
  segments: number
}
export interface SmsProvider {
  name: string
  send(msg: SmsMessage): Promise<SmsResult>
  /** Verifies a webhook's signature for the exact URL it was posted to and its form parameters. */
  verifyWebhook(url: string, params: Record<string, string>, signature: string | null): boolean
}

// ---------- Payments ----------
export interface CheckoutRequest {
  customerId?: string
  customerEmail?: string
  priceId: string
  quantity?: number
  successUrl: string
  cancelUrl: string
  clientReferenceId?: string
  metadata?: Record<string, string>
  trialDays?: number
}
export interface PaymentsProvider {
  name: string
  createCustomer(input: { email: string; name?: string; metadata?: Record<string, string> }): Promise<{ id: string }>
  createCheckoutSession(input: CheckoutRequest): Promise<{ id: string; url: string }>
  createPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }>
  getSubscription(id: string): Promise<Stripe.Subscription>
  cancelSubscription(id: string, opts?: { atPeriodEnd?: boolean }): Promise<Stripe.Subscription>
  /** Verifies the signature header over the raw body and returns the event. */
  verifyWebhook(rawBody: string, signature: string | null): Promise<Stripe.Event>
  readonly client: Stripe
}

// ---------- Companies (SIRENE) ----------
export interface CompanySearch {
  q?: string
  naf?: string[]
  postalCodes?: string[]
  communes?: string[]
  departements?: string[]
  activeOnly?: boolean
  page?: number
  perPage?: number
}
export interface Establishment {
  siret: string
  headOffice: boolean
  naf: string
  address: string
  postalCode: string
  commune: string
  city: string
  departement: string
  active: boolean
}
export interface CompanyRecord {
  siren: string
  name: string
  naf: string
  legalForm: string | null
  createdOn: string | null
  active: boolean
  headcountBand: string | null
  /** SIRENE statut_diffusion: 'P' = partially diffusible (personal data withheld). */
  diffusion: 'O' | 'P'
  headOffice: Establishment
  matching: Establishment[]
  directors: { firstNames: string; lastName: string; role: string }[]
}
export interface CompanyPage {
  results: CompanyRecord[]
  total: number
  page: number
  perPage: number
  totalPages: number
}
export interface CompaniesProvider {
  name: string
  search(q: CompanySearch): Promise<CompanyPage>
  bySiren(siren: string): Promise<CompanyRecord | null>
  bySiret(siret: string): Promise<{ company: CompanyRecord; establishment: Establishment } | null>
}
