/**
 * Payments provider over the official `stripe` SDK. STRIPE_API_BASE_URL sets
 * the SDK's host/port/protocol (the sandbox answers /v1/… at its root).
 * Webhooks are verified with constructEventAsync and Web Crypto, as edge
 * runtimes require.
 */
import Stripe from 'stripe'
import type { StripeEnv } from './config.ts'
import { type CheckoutRequest, codeForStatus, type PaymentsProvider, ProviderError } from './types.ts'

export function stripeClient(env: StripeEnv): Stripe {
  const opts: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: 20_000, appInfo: { name: 'immo-ai' } }
  if (env.STRIPE_API_BASE_URL) {
    const u = new URL(env.STRIPE_API_BASE_URL)
    opts.host = u.hostname
    opts.protocol = u.protocol.replace(':', '') as 'http' | 'https'
    opts.port = Number(u.port || (opts.protocol === 'https' ? 443 : 80))
  }
  return new Stripe(env.STRIPE_SECRET_KEY, opts)
}

export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e
  if (e instanceof Stripe.errors.StripeError) {
    const status = e.statusCode
    const code = e instanceof Stripe.errors.StripeConnectionError ? 'unavailable' : e instanceof Stripe.errors.StripeCardError ? 'rejected' : codeForStatus(status)
    return new ProviderError('stripe', code, e.message, { status, providerCode: e.code, cause: e })
  }
  return new ProviderError('stripe', 'unavailable', (e as Error)?.message ?? String(e), { cause: e })
}

const crypto = Stripe.createSubtleCryptoProvider()

export class StripeProvider implements PaymentsProvider {
  readonly name = 'stripe'
  readonly client: Stripe

  constructor(private env: StripeEnv, client?: Stripe) {
    this.client = client ?? stripeClient(env)
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw toProviderError(e)
    }
  }

  createCustomer(input: { email: string; name?: string; metadata?: Record<string, string> }) {
    return this.call(async () => ({ id: (await this.client.customers.create(input)).id }))
  }

  createCheckoutSession(input: CheckoutRequest) {
    return this.call(async () => {
      const s = await this.client.checkout.sessions.create({
        mode: 'subscription',
        customer: input.customerId,
        customer_email: input.customerId ? undefined : input.customerEmail,
        client_reference_id: input.clientReferenceId,
        line_items: [{ price: input.priceId, quantity: input.quantity ?? 1 }],
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        metadata: input.metadata,
        subscription_data: { metadata: input.metadata, trial_period_days: input.trialDays },
      })
      if (!s.url) throw new ProviderError('stripe', 'unavailable', 'checkout session without a URL')
      return { id: s.id, url: s.url }
    })
  }

  createPortalSession(input: { customerId: string; returnUrl: string }) {
    return this.call(async () => ({ url: (await this.client.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl })).url }))
  }

  getSubscription(id: string) {
    return this.call(() => this.client.subscriptions.retrieve(id))
  }

  cancelSubscription(id: string, opts: { atPeriodEnd?: boolean } = {}) {
    return this.call(() => (opts.atPeriodEnd ? this.client.subscriptions.update(id, { cancel_at_period_end: true }) : this.client.subscriptions.cancel(id)))
  }

  async verifyWebhook(rawBody: string, signature: string | null): Promise<Stripe.Event> {
    if (!signature) throw new ProviderError('stripe', 'auth', 'missing Stripe-Signature header')
    try {
      return await this.client.webhooks.constructEventAsync(rawBody, signature, this.env.STRIPE_WEBHOOK_SECRET, undefined, crypto)
    } catch (e) {
      throw new ProviderError('stripe', 'auth', `invalid webhook signature: ${(e as Error).message}`, { cause: e })
    }
  }
}
