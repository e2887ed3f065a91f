import assert from 'node:assert/strict'
import { createRegistry } from './mod.ts'
import { ProviderError } from './types.ts'
import { env, noSandbox, receiver, sandbox } from './testing.ts'

const payments = () => createRegistry(env).payments()

Deno.test({ name: 'stripe adapter: checkout to subscription, webhook verified with Web Crypto', ignore: noSandbox }, async () => {
  const rx = receiver()
  try {
    const p = payments()
    const price = await p.client.prices.create({ currency: 'eur', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Solo' } })
    const customer = await p.createCustomer({ email: 'deno@example.test', metadata: { tenant_id: 'tenant-deno' } })
    const session = await p.createCheckoutSession({ customerId: customer.id, priceId: price.id, successUrl: 'http://localhost:3000/ok', cancelUrl: 'http://localhost:3000/ko', clientReferenceId: 'tenant-deno', metadata: { tenant_id: 'tenant-deno' } })
    assert.match(session.url, /\/stripe\/checkout\/cs_test_/)
    const done = await sandbox(`/stripe/checkout/${session.id}/complete`, { url: `${rx.base}/stripe-webhook` }) as { events: { id: string; type: string }[] }
    const completedId = done.events.find((e) => e.type === 'checkout.session.completed')!.id
    const hit = await rx.next((c) => c.body.includes(completedId))
    const event = await p.verifyWebhook(hit.body, hit.headers.get('stripe-signature'))
    assert.equal(event.type, 'checkout.session.completed')
    const obj = event.data.object as { subscription: string; client_reference_id: string }
    assert.equal(obj.client_reference_id, 'tenant-deno')
    const sub = await p.getSubscription(obj.subscription)
    assert.equal(sub.status, 'active')
    assert.equal((await p.cancelSubscription(sub.id, { atPeriodEnd: true })).cancel_at_period_end, true)
    assert.equal((await p.cancelSubscription(sub.id)).status, 'canceled')
    const portal = await p.createPortalSession({ customerId: customer.id, returnUrl: 'http://localhost:3000/reglages' })
    assert.match(portal.url, /\/stripe\/portal\//)

    const forged = await p.verifyWebhook(hit.body.replace('tenant-deno', 'tenant-evil'), hit.headers.get('stripe-signature')).catch((x) => x)
    assert.ok(forged instanceof ProviderError)
    assert.equal(forged.code, 'auth')
  } finally {
    await rx.close()
  }
})

Deno.test({ name: 'stripe adapter: missing objects are "not_found"', ignore: noSandbox }, async () => {
  const e = await payments().getSubscription('sub_doesnotexist').catch((x) => x)
  assert.ok(e instanceof ProviderError)
  assert.equal(e.code, 'not_found')
  assert.equal(e.providerCode, 'resource_missing')
})
