/**
 * The Stripe sandbox through the real `stripe` SDK (host/port/protocol):
 * customers, products and prices, checkout sessions, subscriptions, and
 * webhook events that stripe.webhooks.constructEvent accepts.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { env } from '../helpers/stack'

let receiver: Server
let hookUrl = ''
const hits: { signature: string; body: string }[] = []
beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      hits.push({ signature: String(req.headers['stripe-signature']), body })
      res.writeHead(200).end('{}')
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/stripe-webhook`
})
afterAll(() => new Promise<void>((r) => receiver.close(() => r())))

const u = new URL(env('STRIPE_API_BASE_URL'))
const stripe = new Stripe(env('STRIPE_SECRET_KEY'), { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0 })
const sandbox = (path: string, body: unknown) =>
  fetch(`${env('SANDBOX_URL')}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function plan() {
  const product = await stripe.products.create({ name: 'Agence Pro', metadata: { plan: 'pro' } })
  const price = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 4900, recurring: { interval: 'month' }, lookup_key: `pro-${Date.now()}-${Math.random()}` })
  return { product, price }
}

describe('stripe sandbox', () => {
  it('creates, updates, lists and deletes customers', async () => {
    const email = `agence-${Date.now()}@example.test`
    const c = await stripe.customers.create({ email, name: 'Agence du Port', metadata: { tenant_id: 't-1' } })
    expect(c.id).toMatch(/^cus_/)
    expect(c.metadata).toEqual({ tenant_id: 't-1' })
    const updated = await stripe.customers.update(c.id, { name: 'Agence du Port SARL', metadata: { plan: 'pro' } })
    expect(updated.name).toBe('Agence du Port SARL')
    expect(updated.metadata).toEqual({ tenant_id: 't-1', plan: 'pro' })
    const listed = await stripe.customers.list({ email })
    expect(listed.data.map((x) => x.id)).toEqual([c.id])
    expect((await stripe.customers.del(c.id)).deleted).toBe(true)
    const gone = await stripe.customers.retrieve(c.id).catch((e) => e)
    expect(gone).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(gone.code).toBe('resource_missing')
  })

  it('creates products and recurring prices, found by lookup key', async () => {
    const { product, price } = await plan()
    expect(price).toMatchObject({ object: 'price', product: product.id, unit_amount: 4900, currency: 'eur', type: 'recurring', recurring: { interval: 'month', interval_count: 1 } })
    const found = await stripe.prices.list({ lookup_keys: [price.lookup_key!] })
    expect(found.data.map((p) => p.id)).toEqual([price.id])
    const inline = await stripe.prices.create({ currency: 'eur', unit_amount: 990, product_data: { name: 'Pack SMS' } })
    expect(inline.type).toBe('one_time')
    expect((await stripe.products.retrieve(inline.product as string)).name).toBe('Pack SMS')
  })

  it('runs a subscription checkout to completion with signed events constructEvent accepts', async () => {
    const { price } = await plan()
    const customer = await stripe.customers.create({ email: 'owner@example.test' })
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription', customer: customer.id, client_reference_id: 'tenant-42', line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'http://localhost:3000/reglages/abonnement?session_id={CHECKOUT_SESSION_ID}', cancel_url: 'http://localhost:3000/reglages/abonnement',
      subscription_data: { metadata: { tenant_id: 'tenant-42' } },
    })
    expect(session.url).toContain(`/stripe/checkout/${session.id}`)
    expect(session).toMatchObject({ status: 'open', payment_status: 'unpaid', amount_total: 4900 })
    expect((await fetch(session.url!)).status).toBe(200)

    const done = await sandbox(`/stripe/checkout/${session.id}/complete`, { url: hookUrl }).then((r) => r.json())
    expect(done.events.map((e: { type: string }) => e.type)).toEqual(['customer.subscription.created', 'checkout.session.completed', 'invoice.paid'])
    const events = done.events.map((e: { id: string }) => {
      const hit = hits.find((h) => JSON.parse(h.body).id === e.id)!
      return stripe.webhooks.constructEvent(hit.body, hit.signature, env('STRIPE_WEBHOOK_SECRET'))
    })
    const completed = events[1] as Stripe.CheckoutSessionCompletedEvent
    expect(completed.data.object).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', client_reference_id: 'tenant-42', customer: customer.id })
    const sub = await stripe.subscriptions.retrieve(completed.data.object.subscription as string)
    expect(sub).toMatchObject({ status: 'active', customer: customer.id, metadata: { tenant_id: 'tenant-42' } })
    expect(sub.items.data[0].price.id).toBe(price.id)
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete')

    const tampered = hits.find((h) => JSON.parse(h.body).id === done.events[0].id)!
    expect(() => stripe.webhooks.constructEvent(tampered.body.replace('active', 'canceled'), tampered.signature, env('STRIPE_WEBHOOK_SECRET'))).toThrow(Stripe.errors.StripeSignatureVerificationError)
    expect(() => stripe.webhooks.constructEvent(tampered.body, tampered.signature, 'whsec_other')).toThrow()
  })

  it('creates, updates and cancels subscriptions; failed invoices make them past_due', async () => {
    const { price } = await plan()
    const customer = await stripe.customers.create({ email: 'sub@example.test' })
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 14, metadata: { tenant_id: 't-9' } })
    expect(sub.status).toBe('trialing')
    const later = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true })
    expect(later.cancel_at_period_end).toBe(true)
    const active = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 3 }] })
    expect(active.items.data[0].quantity).toBe(3)
    const r = await sandbox('/stripe/trigger', { type: 'invoice.payment_failed', id: active.id, url: hookUrl }).then((x) => x.json())
    const hit = hits.find((h) => JSON.parse(h.body).id === r.event.id)!
    const ev = stripe.webhooks.constructEvent(hit.body, hit.signature, env('STRIPE_WEBHOOK_SECRET')) as Stripe.InvoicePaymentFailedEvent
    expect(ev.data.object.amount_due).toBe(14700)
    expect((await stripe.subscriptions.retrieve(active.id)).status).toBe('past_due')
    const canceled = await stripe.subscriptions.cancel(active.id)
    expect(canceled.status).toBe('canceled')
    const listed = await stripe.subscriptions.list({ customer: customer.id })
    expect(listed.data.map((s) => s.id)).toEqual([sub.id])
    const stored = await stripe.events.list({ type: 'customer.subscription.deleted', limit: 100 })
    expect(stored.data.some((e) => (e.data.object as Stripe.Subscription).id === active.id)).toBe(true)
  })

  it('rejects bad keys and missing params, and replays idempotent requests', async () => {
    const bad = await new Stripe('sk_test_wrong', { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0 }).customers.list().catch((e) => e)
    expect(bad).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    const missing = await stripe.checkout.sessions.create({ mode: 'subscription', success_url: 'http://x/ok' }).catch((e) => e)
    expect(missing.code).toBe('parameter_missing')
    const key = `idem-${Date.now()}`
    const a = await stripe.customers.create({ email: 'idem@example.test' }, { idempotencyKey: key })
    const b = await stripe.customers.create({ email: 'idem@example.test' }, { idempotencyKey: key })
    expect(b.id).toBe(a.id)
    const portal = await stripe.billingPortal.sessions.create({ customer: a.id, return_url: 'http://localhost:3000/reglages' })
    expect(portal.url).toContain('/stripe/portal/')
  })
})
