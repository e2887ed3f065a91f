/**
 * The sandbox itself: its French page, the webhook configuration, the
 * traffic and deliveries logs, and routing.
 */
import { describe, expect, it } from 'vitest'
import { env } from '../helpers/stack'

const sb = (path: string, init?: RequestInit) => fetch(`${env('SANDBOX_URL')}${path}`, init)

describe('provider sandbox', () => {
  it('serves the French sandbox page', async () => {
    const r = await sb('/')
    expect(r.status).toBe(200)
    const html = await r.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('Bac à sable des fournisseurs')
    expect(html).toContain('/_sandbox')
  })

  it('defaults webhook targets to the functions of the stack, and validates changes', async () => {
    const defaults = await sb('/_sandbox/config').then((r) => r.json())
    expect(defaults.stripeWebhookUrl).toBe(`${env('SUPABASE_URL')}/functions/v1/stripe-webhook`)
    expect(defaults.brevoWebhookUrl).toBe(`${env('SUPABASE_URL')}/functions/v1/brevo-webhook`)
    expect(defaults.twilioInboundUrl).toBe(`${env('SUPABASE_URL')}/functions/v1/twilio-webhook`)
    const bad = await sb('/_sandbox/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stripeWebhookUrl: 'pas une url' }) })
    expect(bad.status).toBe(400)
    // The config is shared with every suite on this stack: change it harmlessly (same function,
    // an extra query parameter) and put the previous value back.
    const marked = `${defaults.brevoInboundUrl}?config-test=1`
    const patched = await sb('/_sandbox/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ brevoInboundUrl: marked }) }).then((r) => r.json())
    expect(patched.brevoInboundUrl).toBe(marked)
    expect(patched.stripeWebhookUrl).toBe(defaults.stripeWebhookUrl)
    const restored = await sb('/_sandbox/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ brevoInboundUrl: defaults.brevoInboundUrl }) }).then((r) => r.json())
    expect(restored).toEqual(defaults)
  })

  it('records API traffic and failed webhook deliveries', async () => {
    await fetch(`${env('COMPANIES_API_URL')}/search?activite_principale=71.11Z`)
    const traffic = await sb('/_sandbox/traffic?provider=companies').then((r) => r.json())
    expect(traffic[0]).toMatchObject({ provider: 'companies', direction: 'in', method: 'GET', status: 200 })
    expect(traffic[0].path).toContain('71.11Z')
    const sms = await fetch(`${env('TWILIO_API_BASE_URL')}/2010-04-01/Accounts/${env('TWILIO_ACCOUNT_SID')}/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${env('TWILIO_ACCOUNT_SID')}:${env('TWILIO_AUTH_TOKEN')}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+33655555555', From: '+33700000003', Body: 'x' }),
    }).then((r) => r.json())
    // Port 9 (discard) refuses connections: the delivery is recorded as failed, not thrown.
    const r = await sb('/_sandbox/twilio/inbound', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+33655555555', to: '+33700000003', body: 'Bonjour', url: 'http://127.0.0.1:9/x' }) })
    const d = await r.json()
    expect(d).toMatchObject({ provider: 'twilio', event: 'inbound', status: null })
    expect(d.error).toBeTruthy()
    const deliveries = await sb('/_sandbox/deliveries?provider=twilio').then((x) => x.json())
    expect(deliveries.some((x: { id: string }) => x.id === d.id)).toBe(true)
    expect(sms.sid).toMatch(/^SM/)
  })

  it('answers 404 for unknown routes and 400 for invalid triggers', async () => {
    expect((await sb('/nowhere')).status).toBe(404)
    expect((await sb('/_sandbox/nowhere')).status).toBe(404)
    const r = await sb('/_sandbox/brevo/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messageId: 'x', event: 'exploded' }) })
    expect(r.status).toBe(400)
  })
})
