/**
 * The provider sandbox on 127.0.0.1:<sandbox>: OpenAI, Brevo, Twilio, Stripe
 * and the French companies search speaking their wire protocols on loopback,
 * so the official SDKs run unchanged against it (prefixes match stackEnv()).
 *
 *   /openai/v1/…              openai.ts
 *   /brevo/v3/…               brevo.ts (relays e-mail to the mail catcher)
 *   /twilio/2010-04-01/…      twilio.ts
 *   /stripe/v1/… and /v1/…    stripe.ts (the SDK always requests /v1)
 *   /recherche-entreprises/…  companies.ts
 *   /                         the sandbox page (French): traffic, event buttons
 *   /_sandbox/…               JSON endpoints to trigger events (tests, page)
 *
 * Webhooks go to `/_sandbox/config` targets, by default
 * `${SUPABASE_URL}/functions/v1/<provider>-webhook`; every trigger endpoint also
 * takes a `url` that overrides the target for that one call.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import type { StackConfig } from '../config.ts'
import type { Service } from '../stack.ts'
import { BREVO_EVENTS, createBrevo } from './brevo.ts'
import { createCompanies } from './companies.ts'
import { createEnrichment } from './enrichment.ts'
import { HttpError, parseJson, readBody, SandboxConfigSchema, SandboxContext, sendHtml, sendJson, type Provider, type SandboxRequest } from './context.ts'
import { createOpenAI } from './openai.ts'
import { sandboxPage } from './page.ts'
import { createStripe } from './stripe.ts'
import { createTwilio } from './twilio.ts'

export { twilioSignature } from './twilio.ts'
export { stripeSignature } from './stripe.ts'

const url = z.url().optional()
const Triggers = {
  brevoEvent: z.object({ messageId: z.string().min(1), event: z.enum(BREVO_EVENTS), email: z.email().optional(), link: z.url().optional(), reason: z.string().optional(), url }),
  brevoReply: z.object({ messageId: z.string().min(1), text: z.string().optional(), html: z.string().optional(), from: z.email().optional(), url }),
  twilioStatus: z.object({ sid: z.string().regex(/^SM[0-9a-f]{32}$/), status: z.enum(['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled']), errorCode: z.number().int().optional() }),
  twilioInbound: z.object({ from: z.string().regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/), to: z.string().regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/), body: z.string(), mediaUrls: z.array(z.url()).optional(), profileName: z.string().optional(), url }),
  stripeTrigger: z.object({ type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/), id: z.string().min(3), url }),
  stripeComplete: z.object({ url }),
}

function parse<T extends z.ZodType>(schema: T, body: Buffer): z.output<T> {
  const r = schema.safeParse(parseJson(body))
  if (!r.success) throw new HttpError(400, 'invalid', { error: 'invalid_request', issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) })
  return r.data
}

export interface Sandbox extends Service {
  ctx: SandboxContext
}

export function createSandbox(cfg: StackConfig, env: Record<string, string>) {
  const ctx = new SandboxContext(cfg, env)
  const openai = createOpenAI(ctx)
  const brevo = createBrevo(ctx)
  const twilio = createTwilio(ctx)
  const stripe = createStripe(ctx)
  const companies = createCompanies(ctx)
  const enrichment = createEnrichment(ctx, companies.data)

  const prefixes: [string, Provider, (r: SandboxRequest) => Promise<void>][] = [
    ['/openai/v1', 'openai', openai],
    ['/brevo/v3', 'brevo', brevo.handle],
    ['/twilio', 'twilio', twilio.handle],
    ['/stripe', 'stripe', stripe.handle],
    ['/v1', 'stripe', (r) => stripe.handle({ ...r, path: `/v1${r.path === '/' ? '' : r.path}` })],
    ['/recherche-entreprises', 'companies', companies.handle],
    ['/enrichment', 'enrichment', enrichment.handle],
  ]

  async function control(r: SandboxRequest): Promise<void> {
    const p = r.path
    const M = r.method
    const json = (body: unknown, status = 200) => sendJson(r.res, status, body)
    if (p === '/config' && M === 'GET') return json(ctx.config)
    if (p === '/config' && (M === 'PUT' || M === 'PATCH')) {
      const patch = SandboxConfigSchema.partial().safeParse(parseJson(r.body))
      if (!patch.success) throw new HttpError(400, 'invalid', { error: 'invalid_config', issues: patch.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) })
      ctx.config = { ...(M === 'PUT' ? SandboxContext.defaults(env) : ctx.config), ...patch.data }
      return json(ctx.config)
    }
    if (p === '/config' && M === 'DELETE') return json((ctx.config = SandboxContext.defaults(env)))
    if (p === '/traffic' && M === 'GET') {
      const provider = r.url.searchParams.get('provider')
      return json(ctx.traffic.filter((t) => !provider || t.provider === provider).slice(0, Number(r.url.searchParams.get('limit')) || 100))
    }
    if (p === '/deliveries' && M === 'GET') {
      const provider = r.url.searchParams.get('provider')
      return json(ctx.deliveries.filter((d) => !provider || d.provider === provider).slice(0, Number(r.url.searchParams.get('limit')) || 100))
    }
    if (p === '/brevo/sent' && M === 'GET') {
      const email = r.url.searchParams.get('email')?.toLowerCase()
      return json(brevo.sent.filter((s) => !email || s.email === email).slice(0, 100))
    }
    if (p === '/brevo/events' && M === 'POST') return json(await brevo.triggerEvent(parse(Triggers.brevoEvent, r.body)))
    if (p === '/brevo/reply' && M === 'POST') return json(await brevo.triggerReply(parse(Triggers.brevoReply, r.body)))
    if (p === '/twilio/messages' && M === 'GET') return json([...twilio.messages.values()].reverse().slice(0, 100))
    if (p === '/twilio/status' && M === 'POST') return json(await twilio.triggerStatus(parse(Triggers.twilioStatus, r.body)))
    if (p === '/twilio/inbound' && M === 'POST') return json(await twilio.triggerInbound(parse(Triggers.twilioInbound, r.body)))
    const complete = /^\/stripe\/checkout\/([^/]+)\/complete$/.exec(p)
    if (complete && M === 'POST') return json(await stripe.completeCheckout(decodeURIComponent(complete[1]), parse(Triggers.stripeComplete, r.body).url))
    if (p === '/stripe/trigger' && M === 'POST') return json(await stripe.trigger(parse(Triggers.stripeTrigger, r.body)))
    if (p === '/stripe/events' && M === 'GET') return json(stripe.events.slice(0, 100))
    if (p === '/stripe/objects' && M === 'GET') {
      const kind = r.url.searchParams.get('object')
      return json([...stripe.store.values()].filter((o) => !o.deleted && (!kind || o.object === kind)).reverse().slice(0, 100).map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')))))
    }
    if (p === '/companies/sample' && M === 'GET') {
      const n = Math.min(Number(r.url.searchParams.get('n')) || 10, 100)
      return json(companies.data.all().slice(0, n))
    }
    throw new HttpError(404, 'not found', { error: 'not_found', message: `${M} /_sandbox${p}` })
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-headers', '*')
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
    let provider: Provider | undefined
    try {
      if (method === 'OPTIONS') {
        res.writeHead(204)
        return void res.end()
      }
      if (u.pathname === '/' && method === 'GET') return sendHtml(res, 200, sandboxPage())
      if (u.pathname === '/health') return sendJson(res, 200, { status: 'ok', companies: companies.data.size })
      const body = await readBody(req)
      const base = { req, res, method, url: u, body }
      if (u.pathname.startsWith('/_sandbox/')) return await control({ ...base, path: u.pathname.slice('/_sandbox'.length) })
      for (const [prefix, name, handle] of prefixes) {
        if (u.pathname === prefix || u.pathname.startsWith(prefix + '/')) {
          provider = name
          return await handle({ ...base, path: u.pathname.slice(prefix.length) || '/' })
        }
      }
      sendJson(res, 404, { error: 'not_found', message: `No sandbox route for ${u.pathname}` })
    } catch (e) {
      if (res.headersSent) return void res.end()
      if (e instanceof HttpError) {
        if (provider && provider !== 'stripe') ctx.record({ provider, direction: 'in', method, path: u.pathname, status: e.status, summary: e.message })
        return sendJson(res, e.status, e.body ?? { error: e.message }, e.headers)
      }
      sendJson(res, 500, { error: 'sandbox_failure', message: (e as Error).message })
    }
  })

  return { ctx, server, close: () => brevo.close() }
}

export async function start(cfg: StackConfig, env: Record<string, string>): Promise<Sandbox> {
  const sb = createSandbox(cfg, env)
  await new Promise<void>((res, rej) => {
    sb.server.once('error', rej)
    sb.server.listen(cfg.ports.sandbox, '127.0.0.1', () => res())
  })
  const port = (sb.server.address() as AddressInfo).port
  return {
    name: 'sandbox',
    url: `http://127.0.0.1:${port}`,
    ctx: sb.ctx,
    stop: async () => {
      sb.close()
      sb.server.closeAllConnections()
      await new Promise<void>((r) => sb.server.close(() => r()))
    },
  }
}
