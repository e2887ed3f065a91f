/**
 * Stripe, as the `stripe` SDK calls it (form-encoded bodies in Stripe's bracket
 * notation, `Authorization: Bearer sk_test_…`), under /stripe/v1 and — because
 * the SDK only takes host/port/protocol and always requests /v1/… — under /v1
 * at the sandbox's root too:
 *   customers       create, retrieve, update, list, del
 *   products        create, retrieve, update, list
 *   prices          create (product or product_data), retrieve, list (product, active, lookup_keys)
 *   checkout/sessions  create, retrieve, list; completing one (sandbox page or
 *                      /_sandbox/stripe/checkout/:id/complete) creates the
 *                      subscription and emits checkout.session.completed
 *   subscriptions   create, retrieve, update (items, cancel_at_period_end, metadata), cancel (DELETE), list
 *   billing_portal/sessions  create
 *   events          retrieve, list
 * Every change emits the event Stripe would, stored and POSTed to the webhook
 * URL with a `Stripe-Signature: t=…,v1=HMAC-SHA256("t.payload")` header made
 * with STRIPE_WEBHOOK_SECRET, so `stripe.webhooks.constructEvent` accepts it.
 * `Idempotency-Key` replays the first answer.
 */
import { createHmac, randomBytes } from 'node:crypto'
import qs from 'qs'
import { HttpError, sendHtml, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

type Obj = Record<string, unknown> & { id: string; object: string; created: number }
type Params = Record<string, unknown>

export const API_VERSION = '2025-08-27.basil'

const now = () => Math.floor(Date.now() / 1000)
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`
const stripeError = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  new HttpError(status, message, { error: { type: 'invalid_request_error', message, ...extra } })
const missing = (kind: string, id: string) =>
  stripeError(404, `No such ${kind}: '${id}'`, { code: 'resource_missing', param: 'id', doc_url: 'https://stripe.com/docs/error-codes/resource-missing' })
const required = (param: string) => stripeError(400, `Missing required param: ${param}.`, { code: 'parameter_missing', param })

/** The Stripe-Signature header for `payload`, as Stripe computes it. */
export function stripeSignature(secret: string, payload: string, t = now()): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex')
  return `t=${t},v1=${v1}`
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null)
const int = (v: unknown) => (v === undefined || v === '' ? null : Number(v))
const bool = (v: unknown) => v === true || v === 'true'
const meta = (v: unknown, prev: Record<string, string> = {}) => {
  if (v === '') return {}
  if (!v || typeof v !== 'object') return prev
  const out = { ...prev }
  for (const [k, val] of Object.entries(v as Record<string, string>)) {
    if (val === '') delete out[k]
    else out[k] = String(val)
  }
  return out
}
const list = (url: string, data: Obj[], has_more = false) => ({ object: 'list', data, has_more, url })

export function createStripe(ctx: SandboxContext) {
  const store = new Map<string, Obj>()
  const idempotency = new Map<string, { status: number; body: unknown }>()
  const events: Obj[] = []

  const get = (prefix: string, kind: string, id: string) => {
    const o = store.get(id)
    if (!o || !id.startsWith(prefix) || o.deleted) throw missing(kind, id)
    return o
  }
  const put = (o: Obj) => (store.set(o.id, o), o)
  const all = (object: string) => [...store.values()].filter((o) => o.object === object && !o.deleted).sort((a, b) => b.created - a.created)

  function paginate(url: string, items: Obj[], p: Params) {
    const limit = Math.min(Math.max(Number(p.limit ?? 10) || 10, 1), 100)
    let start = 0
    if (p.starting_after) start = items.findIndex((o) => o.id === p.starting_after) + 1
    if (p.ending_before) start = Math.max(0, items.findIndex((o) => o.id === p.ending_before) - limit)
    const page = items.slice(start, start + limit)
    return list(url, page, start + limit < items.length)
  }

  /** Stores an event and delivers it; `url` overrides the configured endpoint. */
  async function emit(type: string, object: Obj, previous?: Record<string, unknown>, url?: string) {
    const event: Obj = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: now(),
      data: previous ? { object: structuredClone(object), previous_attributes: previous } : { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: newId('req'), idempotency_key: null },
      type,
    }
    events.unshift(event)
    if (events.length > 2_000) events.length = 2_000
    const payload = JSON.stringify(event, null, 2)
    const target = url ?? ctx.config.stripeWebhookUrl
    const delivery = await ctx.deliver('stripe', type, target, payload, {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': stripeSignature(ctx.env.STRIPE_WEBHOOK_SECRET ?? '', payload),
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    })
    return { event, delivery }
  }
  const emitLater = (type: string, object: Obj, previous?: Record<string, unknown>) => void emit(type, object, previous).catch(() => {})

  // ---------- object builders ----------
  function customer(p: Params, prev?: Obj): Obj {
    const o = prev ?? { id: newId('cus'), object: 'customer', created: now(), livemode: false, balance: 0, currency: null, default_source: null, delinquent: false, discount: null, invoice_prefix: randomBytes(4).toString('hex').toUpperCase(), invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null }, preferred_locales: [], shipping: null, tax_exempt: 'none', test_clock: null, address: null }
    for (const k of ['email', 'name', 'phone', 'description'] as const) if (k in p || !prev) o[k] = str(p[k])
    if (Array.isArray(p.preferred_locales)) o.preferred_locales = p.preferred_locales
    if (p.address && typeof p.address === 'object') o.address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...(p.address as object) }
    o.metadata = meta(p.metadata, prev?.metadata as Record<string, string>)
    return o
  }

  function product(p: Params, prev?: Obj): Obj {
    if (!prev && !p.name) throw required('name')
    const o = prev ?? { id: str(p.id) ?? newId('prod'), object: 'product', created: now(), livemode: false, default_price: null, images: [], marketing_features: [], package_dimensions: null, shippable: null, tax_code: null, type: 'service', unit_label: null, url: null }
    if (p.name !== undefined) o.name = p.name
    if (p.description !== undefined || !prev) o.description = str(p.description)
    if (p.active !== undefined || !prev) o.active = p.active === undefined ? true : bool(p.active)
    o.metadata = meta(p.metadata, prev?.metadata as Record<string, string>)
    o.updated = now()
    return o
  }

  function price(p: Params): Obj {
    if (!p.currency) throw required('currency')
    let prodId = str(p.product)
    if (!prodId) {
      if (!p.product_data) throw required('product')
      prodId = put(product(p.product_data as Params)).id
      emitLater('product.created', store.get(prodId)!)
    } else get('prod_', 'product', prodId)
    const rec = p.recurring as Params | undefined
    const o: Obj = {
      id: newId('price'), object: 'price', created: now(), livemode: false, active: p.active === undefined ? true : bool(p.active), billing_scheme: 'per_unit',
      currency: String(p.currency).toLowerCase(), custom_unit_amount: null, lookup_key: str(p.lookup_key), metadata: meta(p.metadata), nickname: str(p.nickname), product: prodId,
      recurring: rec ? { interval: rec.interval ?? 'month', interval_count: Number(rec.interval_count ?? 1), meter: null, usage_type: rec.usage_type ?? 'licensed' } : null,
      tax_behavior: str(p.tax_behavior) ?? 'unspecified', tiers_mode: null, transform_quantity: null, type: rec ? 'recurring' : 'one_time',
      unit_amount: int(p.unit_amount), unit_amount_decimal: p.unit_amount === undefined ? null : String(p.unit_amount),
    }
    if (o.lookup_key) {
      for (const other of all('price')) {
        if (other.lookup_key === o.lookup_key) {
          if (!bool(p.transfer_lookup_key)) throw stripeError(400, `A price (\`${other.id}\`) already uses that lookup key.`, { code: 'lookup_key_exists', param: 'lookup_key' })
          other.lookup_key = null
        }
      }
    }
    return o
  }

  function subscriptionItems(items: unknown, subId: string, start: number, end: number): Obj[] {
    const arr = Array.isArray(items) ? items : items && typeof items === 'object' ? Object.values(items) : []
    return (arr as Params[]).map((it) => {
      const pr = get('price_', 'price', String(it.price ?? ''))
      return { id: newId('si'), object: 'subscription_item', created: now(), current_period_start: start, current_period_end: end, metadata: meta(it.metadata), price: structuredClone(pr), quantity: Number(it.quantity ?? 1), subscription: subId, tax_rates: [] }
    })
  }

  const periodEnd = (start: number, pr?: Obj) => {
    const rec = pr?.recurring as { interval: string; interval_count: number } | null
    const d = new Date(start * 1000)
    const n = rec?.interval_count ?? 1
    if (rec?.interval === 'year') d.setUTCFullYear(d.getUTCFullYear() + n)
    else if (rec?.interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * n)
    else if (rec?.interval === 'day') d.setUTCDate(d.getUTCDate() + n)
    else d.setUTCMonth(d.getUTCMonth() + n)
    return Math.floor(d.getTime() / 1000)
  }

  function subscription(p: Params): Obj {
    const cus = str(p.customer)
    if (!cus) throw required('customer')
    get('cus_', 'customer', cus)
    if (!p.items) throw required('items')
    const id = newId('sub')
    const start = now()
    const trialDays = int(p.trial_period_days)
    const firstPrice = (Array.isArray(p.items) ? p.items : Object.values(p.items as object))[0] as Params | undefined
    const end = trialDays ? start + trialDays * 86_400 : periodEnd(start, store.get(String(firstPrice?.price ?? '')))
    const items = subscriptionItems(p.items, id, start, end)
    if (!items.length) throw required('items')
    return {
      id, object: 'subscription', created: start, livemode: false, customer: cus, status: trialDays ? 'trialing' : 'active',
      items: list(`/v1/subscription_items?subscription=${id}`, items), billing_cycle_anchor: end, cancel_at: null, cancel_at_period_end: false, canceled_at: null,
      collection_method: 'charge_automatically', currency: (items[0].price as Obj).currency, current_period_start: start, current_period_end: end,
      days_until_due: null, default_payment_method: null, ended_at: null, latest_invoice: null, metadata: meta(p.metadata), start_date: start,
      trial_start: trialDays ? start : null, trial_end: trialDays ? end : null, pending_update: null,
    }
  }

  function invoice(sub: Obj, paid: boolean): Obj {
    const items = (sub.items as { data: Obj[] }).data
    const total = items.reduce((n, it) => n + Number((it.price as Obj).unit_amount ?? 0) * Number(it.quantity), 0)
    const o: Obj = {
      id: newId('in'), object: 'invoice', created: now(), livemode: false, customer: sub.customer, subscription: sub.id, status: paid ? 'paid' : 'open',
      amount_due: total, amount_paid: paid ? total : 0, amount_remaining: paid ? 0 : total, currency: sub.currency, billing_reason: 'subscription_cycle',
      attempt_count: 1, attempted: true, hosted_invoice_url: null, period_start: sub.current_period_start, period_end: sub.current_period_end,
      lines: list('/v1/invoices/lines', items.map((it) => ({ id: newId('il'), object: 'line_item', amount: Number((it.price as Obj).unit_amount ?? 0) * Number(it.quantity), currency: sub.currency, price: it.price, quantity: it.quantity, subscription: sub.id, created: now() }))),
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
    }
    return put(o)
  }

  function checkoutSession(p: Params): Obj {
    const mode = str(p.mode)
    if (!mode) throw required('mode')
    if (!['payment', 'subscription', 'setup'].includes(mode)) throw stripeError(400, `Invalid mode: ${mode}`, { param: 'mode' })
    if (p.ui_mode !== 'embedded' && !p.success_url) throw required('success_url')
    if (p.customer) get('cus_', 'customer', String(p.customer))
    const lineItems = (Array.isArray(p.line_items) ? p.line_items : p.line_items ? Object.values(p.line_items as object) : []) as Params[]
    if (mode !== 'setup' && !lineItems.length) throw required('line_items')
    let amount = 0
    let currency: string | null = null
    for (const li of lineItems) {
      const pr = get('price_', 'price', String(li.price ?? ''))
      if (mode === 'subscription' && pr.type !== 'recurring') throw stripeError(400, 'You must provide at least one recurring price in `subscription` mode when using prices.', { param: 'line_items' })
      amount += Number(pr.unit_amount ?? 0) * Number(li.quantity ?? 1)
      currency = pr.currency as string
    }
    const id = `cs_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'a')}`
    return {
      id, object: 'checkout.session', created: now(), livemode: false, mode, status: 'open', payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      url: `${ctx.cfg.sandboxUrl}/stripe/checkout/${id}`, success_url: str(p.success_url), cancel_url: str(p.cancel_url), customer: str(p.customer),
      customer_email: str(p.customer_email), customer_details: null, client_reference_id: str(p.client_reference_id), metadata: meta(p.metadata),
      amount_subtotal: amount, amount_total: amount, currency, locale: str(p.locale), subscription: null, payment_intent: null, invoice: null,
      expires_at: now() + 86_400, allow_promotion_codes: p.allow_promotion_codes === undefined ? null : bool(p.allow_promotion_codes),
      _line_items: lineItems, _subscription_data: p.subscription_data ?? {},
    }
  }
  const publicSession = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('_')))

  /** Pays an open checkout session: customer, subscription and the events Stripe sends. */
  async function completeCheckout(id: string, url?: string) {
    const s = get('cs_', 'checkout session', id)
    if (s.status !== 'open') throw stripeError(400, `This Checkout Session is ${s.status}.`, { code: 'checkout_session_not_open' })
    const out: { event: Obj; delivery: unknown }[] = []
    let cus = s.customer as string | null
    if (!cus) {
      const c = put(customer({ email: s.customer_email ?? 'client.sandbox@example.test', name: 'Client Sandbox' }))
      cus = c.id
      out.push(await emit('customer.created', c, undefined, url))
    }
    s.customer = cus
    s.customer_details = { email: (store.get(cus)!.email as string | null) ?? s.customer_email, name: store.get(cus)!.name, phone: null, address: null, tax_exempt: 'none', tax_ids: [] }
    s.status = 'complete'
    s.payment_status = s.mode === 'setup' ? 'no_payment_required' : 'paid'
    if (s.mode === 'subscription') {
      const sd = s._subscription_data as Params
      const sub = put(subscription({ customer: cus, items: (s._line_items as Params[]).map((li) => ({ price: li.price, quantity: li.quantity ?? 1 })), metadata: sd.metadata, trial_period_days: sd.trial_period_days }))
      s.subscription = sub.id
      const inv = invoice(sub, true)
      sub.latest_invoice = inv.id
      s.invoice = inv.id
      out.push(await emit('customer.subscription.created', sub, undefined, url))
      out.push(await emit('checkout.session.completed', publicSession(s) as Obj, undefined, url))
      out.push(await emit('invoice.paid', inv, undefined, url))
    } else {
      s.payment_intent = s.mode === 'payment' ? newId('pi') : null
      out.push(await emit('checkout.session.completed', publicSession(s) as Obj, undefined, url))
    }
    ctx.record({ provider: 'stripe', direction: 'in', method: 'POST', path: `/checkout/${id}/complete`, status: 200, summary: `checkout ${s.mode} paid by ${cus}` })
    return { session: publicSession(s), events: out.map((o) => o.event), deliveries: out.map((o) => o.delivery) }
  }

  /** Test helper: emit an event about a stored object (e.g. invoice.payment_failed for a subscription). */
  async function trigger(input: { type: string; id: string; url?: string }) {
    const o = store.get(input.id)
    if (!o) throw missing('object', input.id)
    if (input.type.startsWith('invoice.') && o.object === 'subscription') {
      const failed = input.type === 'invoice.payment_failed'
      const inv = invoice(o, !failed)
      const prev = { status: o.status }
      o.latest_invoice = inv.id
      if (failed && o.status === 'active') o.status = 'past_due'
      const r1 = await emit(input.type, inv, undefined, input.url)
      if (failed && prev.status !== o.status) await emit('customer.subscription.updated', o, prev, input.url)
      return r1
    }
    const view = o.object === 'checkout.session' ? (publicSession(o) as Obj) : o
    return emit(input.type, view, undefined, input.url)
  }

  async function route(r: SandboxRequest, p: Params): Promise<[number, unknown]> {
    const seg = r.path.replace(/^\/v1\//, '').split('/').map(decodeURIComponent)
    const M = r.method
    const [a, b, c] = seg
    const one = (prefix: string, kind: string) => get(prefix, kind, b)

    if (a === 'customers') {
      if (!b && M === 'POST') {
        const o = put(customer(p))
        emitLater('customer.created', o)
        return [200, o]
      }
      if (!b && M === 'GET') return [200, paginate('/v1/customers', all('customer').filter((o) => !p.email || o.email === p.email), p)]
      if (b && !c && M === 'GET') return [200, one('cus_', 'customer')]
      if (b && !c && M === 'POST') {
        const o = one('cus_', 'customer')
        const before = structuredClone(o)
        customer(p, o)
        const prev = Object.fromEntries(Object.keys(p).filter((k) => k in before).map((k) => [k, before[k]]))
        emitLater('customer.updated', o, prev)
        return [200, o]
      }
      if (b && !c && M === 'DELETE') {
        const o = one('cus_', 'customer')
        o.deleted = true
        emitLater('customer.deleted', o)
        return [200, { id: o.id, object: 'customer', deleted: true }]
      }
    }
    if (a === 'products') {
      if (!b && M === 'POST') {
        if (p.id && store.has(String(p.id))) throw stripeError(400, `Product already exists.`, { code: 'resource_already_exists', param: 'id' })
        const o = put(product(p))
        emitLater('product.created', o)
        return [200, o]
      }
      if (!b && M === 'GET') return [200, paginate('/v1/products', all('product').filter((o) => p.active === undefined || o.active === bool(p.active)), p)]
      if (b && M === 'GET') return [200, one('prod_', 'product')]
      if (b && M === 'POST') return [200, product(p, one('prod_', 'product'))]
    }
    if (a === 'prices') {
      if (!b && M === 'POST') {
        const o = put(price(p))
        emitLater('price.created', o)
        return [200, o]
      }
      if (!b && M === 'GET') {
        const keys = p.lookup_keys ? ([] as string[]).concat(p.lookup_keys as string[]) : undefined
        const items = all('price').filter((o) => (!p.product || o.product === p.product) && (p.active === undefined || o.active === bool(p.active)) && (!keys || keys.includes(o.lookup_key as string)))
        return [200, paginate('/v1/prices', items, p)]
      }
      if (b && M === 'GET') return [200, one('price_', 'price')]
    }
    if (a === 'checkout' && b === 'sessions') {
      const id = c
      if (!id && M === 'POST') return [200, publicSession(put(checkoutSession(p)))]
      if (!id && M === 'GET') return [200, paginate('/v1/checkout/sessions', all('checkout.session').filter((o) => !p.customer || o.customer === p.customer).map((o) => publicSession(o) as Obj), p)]
      if (id && M === 'GET' && seg[3] === 'line_items') {
        const s = get('cs_', 'checkout session', id)
        return [200, list(`/v1/checkout/sessions/${id}/line_items`, (s._line_items as Params[]).map((li) => ({ id: newId('li'), object: 'item', created: now(), price: store.get(String(li.price)), quantity: Number(li.quantity ?? 1) } as Obj)))]
      }
      if (id && M === 'GET') return [200, publicSession(get('cs_', 'checkout session', id))]
      if (id && M === 'POST' && seg[3] === 'expire') {
        const s = get('cs_', 'checkout session', id)
        s.status = 'expired'
        emitLater('checkout.session.expired', publicSession(s) as Obj)
        return [200, publicSession(s)]
      }
    }
    if (a === 'subscriptions') {
      if (!b && M === 'POST') {
        const o = put(subscription(p))
        emitLater('customer.subscription.created', o)
        return [200, o]
      }
      if (!b && M === 'GET') {
        const items = all('subscription').filter((o) => (!p.customer || o.customer === p.customer) && (p.status === 'all' || (p.status ? o.status === p.status : o.status !== 'canceled')))
        return [200, paginate('/v1/subscriptions', items, p)]
      }
      if (b && M === 'GET') return [200, one('sub_', 'subscription')]
      if (b && M === 'POST') {
        const o = one('sub_', 'subscription')
        if (o.status === 'canceled') throw stripeError(400, 'A canceled subscription can only update its cancellation_details and metadata.')
        const prev: Record<string, unknown> = {}
        if (p.cancel_at_period_end !== undefined) {
          prev.cancel_at_period_end = o.cancel_at_period_end
          o.cancel_at_period_end = bool(p.cancel_at_period_end)
          o.cancel_at = o.cancel_at_period_end ? o.current_period_end : null
        }
        if (p.metadata !== undefined) {
          prev.metadata = o.metadata
          o.metadata = meta(p.metadata, o.metadata as Record<string, string>)
        }
        if (p.items) {
          prev.items = structuredClone(o.items)
          const cur = (o.items as { data: Obj[] }).data
          for (const it of (Array.isArray(p.items) ? p.items : Object.values(p.items as object)) as Params[]) {
            const existing = it.id ? cur.find((x) => x.id === it.id) : undefined
            if (existing && bool(it.deleted)) cur.splice(cur.indexOf(existing), 1)
            else if (existing) {
              if (it.price) existing.price = structuredClone(get('price_', 'price', String(it.price)))
              if (it.quantity !== undefined) existing.quantity = Number(it.quantity)
            } else cur.push(...subscriptionItems([it], o.id, o.current_period_start as number, o.current_period_end as number))
          }
        }
        emitLater('customer.subscription.updated', o, prev)
        return [200, o]
      }
      if (b && M === 'DELETE') {
        const o = one('sub_', 'subscription')
        const prev = { status: o.status }
        Object.assign(o, { status: 'canceled', canceled_at: now(), ended_at: now() })
        emitLater('customer.subscription.deleted', o, prev)
        return [200, o]
      }
    }
    if (a === 'billing_portal' && b === 'sessions' && M === 'POST') {
      if (!p.customer) throw required('customer')
      get('cus_', 'customer', String(p.customer))
      const id = newId('bps')
      return [200, { id, object: 'billing_portal.session', created: now(), customer: p.customer, livemode: false, locale: str(p.locale), return_url: str(p.return_url), url: `${ctx.cfg.sandboxUrl}/stripe/portal/${id}` }]
    }
    if (a === 'invoices' && b && M === 'GET') return [200, one('in_', 'invoice')]
    if (a === 'events') {
      if (!b && M === 'GET') return [200, paginate('/v1/events', events.filter((e) => !p.type || e.type === p.type), p)]
      if (b && M === 'GET') {
        const e = events.find((x) => x.id === b)
        if (!e) throw missing('event', b)
        return [200, e]
      }
    }
    throw stripeError(404, `Unrecognized request URL (${M}: ${r.path}). The sandbox does not simulate it.`)
  }

  async function handle(r: SandboxRequest) {
    // Sandbox pages: hosted checkout and billing portal.
    const page = /^\/(checkout|portal)\/([^/]+)$/.exec(r.path)
    if (page) return hostedPage(r, page[1], page[2])
    const key = (r.req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')
    if (!key) throw new HttpError(401, 'no key', { error: { message: 'You did not provide an API key.', type: 'invalid_request_error' } })
    if (key !== ctx.env.STRIPE_SECRET_KEY) throw new HttpError(401, 'bad key', { error: { message: `Invalid API Key provided: ${key.slice(0, 8)}***`, type: 'invalid_request_error' } })
    if (!r.path.startsWith('/v1/')) throw stripeError(404, `Unrecognized request URL (${r.method}: ${r.path}).`)
    const idem = r.req.headers['idempotency-key'] as string | undefined
    if (idem && r.method === 'POST' && idempotency.has(idem)) {
      const hit = idempotency.get(idem)!
      return sendJson(r.res, hit.status, hit.body, { 'idempotent-replayed': 'true', 'request-id': newId('req'), 'stripe-version': API_VERSION })
    }
    const params = (r.method === 'GET' || r.method === 'DELETE' ? qs.parse(r.url.search.slice(1), { depth: 5, arrayLimit: 100 }) : qs.parse(r.body.toString('utf8'), { depth: 5, arrayLimit: 100 })) as Params
    let status: number
    let body: unknown
    try {
      ;[status, body] = await route(r, params)
    } catch (e) {
      if (!(e instanceof HttpError)) throw e
      ;[status, body] = [e.status, e.body]
    }
    if (idem && r.method === 'POST') idempotency.set(idem, { status, body })
    ctx.record({ provider: 'stripe', direction: 'in', method: r.method, path: r.path, status, summary: status < 300 ? `${(body as Obj).object ?? ''} ${(body as Obj).id ?? ''}` : ((body as { error: { message: string } }).error?.message ?? '') })
    return sendJson(r.res, status, body, { 'request-id': newId('req'), 'stripe-version': API_VERSION })
  }

  function hostedPage(r: SandboxRequest, kind: string, id: string) {
    if (kind === 'portal') return sendHtml(r.res, 200, `<!doctype html><html lang="fr"><meta charset="utf-8"><title>Portail client (sandbox)</title><body style="font:16px system-ui;max-width:560px;margin:60px auto"><h1>Portail client Stripe (sandbox)</h1><p>Session ${id}. Rien à gérer ici : utilisez l'API ou la page du sandbox pour modifier l'abonnement.</p></body></html>`)
    const s = store.get(id)
    if (!s) return sendHtml(r.res, 404, '<!doctype html><html lang="fr"><meta charset="utf-8"><p>Session de paiement inconnue.</p></html>')
    const amount = ((s.amount_total as number) / 100).toLocaleString('fr-FR', { style: 'currency', currency: String(s.currency ?? 'eur').toUpperCase() })
    return sendHtml(r.res, 200, `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Paiement (sandbox)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;background:#f6f9fc;margin:0}main{max-width:440px;margin:60px auto;background:#fff;padding:32px;border-radius:12px;box-shadow:0 2px 12px #0001}button{font:inherit;padding:10px 18px;border:0;border-radius:8px;background:#635bff;color:#fff;cursor:pointer;width:100%}a{color:#635bff}</style></head>
<body><main><p style="color:#888">Stripe Checkout — sandbox locale</p><h1>${amount}</h1><p>Mode : ${s.mode} · statut : <b>${s.status}</b></p>
${s.status === 'open' ? `<button id="pay">Payer (carte de test)</button>` : `<p>Cette session est terminée.</p>`}
${s.cancel_url ? `<p><a href="${String(s.cancel_url).replace(/"/g, '&quot;')}">Annuler et revenir</a></p>` : ''}</main>
<script>document.getElementById('pay')?.addEventListener('click',async()=>{const r=await fetch('/_sandbox/stripe/checkout/${id}/complete',{method:'POST',headers:{'content-type':'application/json'},body:'{}'});if(r.ok){const u=${JSON.stringify(s.success_url ?? '')}.replace('{CHECKOUT_SESSION_ID}','${id}');if(u)location.href=u;else location.reload()}else alert('Échec : '+await r.text())})</script></body></html>`)
  }

  return { handle, completeCheckout, trigger, events, store }
}
