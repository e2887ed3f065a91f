/**
 * What every provider module of the sandbox shares: request bodies, JSON and
 * form replies, the traffic log shown on the sandbox page, the webhook
 * targets, and outgoing webhook deliveries (recorded with their answers).
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import type { StackConfig } from '../config.ts'

export type Provider = 'openai' | 'brevo' | 'twilio' | 'stripe' | 'companies' | 'enrichment'

export interface TrafficEntry {
  id: string
  at: string
  provider: Provider
  /** 'in': an API call the sandbox answered; 'out': a webhook it delivered. */
  direction: 'in' | 'out'
  method: string
  path: string
  status: number
  summary: string
}

export interface Delivery {
  id: string
  at: string
  provider: Provider
  url: string
  event: string
  status: number | null
  error?: string
  requestHeaders: Record<string, string>
  body: string
  response?: string
}

export const SandboxConfigSchema = z.object({
  /** Where Brevo transactional events and inbound replies are POSTed. */
  brevoWebhookUrl: z.url(),
  brevoInboundUrl: z.url(),
  /** Where simulated inbound SMS/WhatsApp messages are POSTed (the number's "A message comes in" URL). */
  twilioInboundUrl: z.url(),
  stripeWebhookUrl: z.url(),
  /** Twilio: send 'sent' then 'delivered' status callbacks by itself after each message. */
  twilioAutoStatus: z.boolean(),
  /** Brevo: send a 'delivered' event by itself after each e-mail. */
  brevoAutoDelivered: z.boolean(),
})
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>

export const TRAFFIC_CAP = 500
export const DELIVERIES_CAP = 500

export class SandboxContext {
  readonly traffic: TrafficEntry[] = []
  readonly deliveries: Delivery[] = []
  config: SandboxConfig

  constructor(
    readonly cfg: StackConfig,
    readonly env: Record<string, string>,
  ) {
    this.config = SandboxContext.defaults(env)
  }

  static defaults(env: Record<string, string>): SandboxConfig {
    const fn = (name: string) => `${env.SUPABASE_URL}/functions/v1/${name}`
    return {
      brevoWebhookUrl: fn('brevo-webhook'),
      brevoInboundUrl: fn('brevo-webhook'),
      twilioInboundUrl: fn('twilio-webhook'),
      stripeWebhookUrl: fn('stripe-webhook'),
      twilioAutoStatus: true,
      brevoAutoDelivered: false,
    }
  }

  record(e: Omit<TrafficEntry, 'id' | 'at'>): void {
    this.traffic.unshift({ id: randomUUID(), at: new Date().toISOString(), ...e })
    if (this.traffic.length > TRAFFIC_CAP) this.traffic.length = TRAFFIC_CAP
  }

  /** POSTs a webhook, records the attempt and its answer; never throws. */
  async deliver(provider: Provider, event: string, url: string, body: string, headers: Record<string, string>): Promise<Delivery> {
    const d: Delivery = { id: randomUUID(), at: new Date().toISOString(), provider, url, event, status: null, requestHeaders: headers, body }
    this.deliveries.unshift(d)
    if (this.deliveries.length > DELIVERIES_CAP) this.deliveries.length = DELIVERIES_CAP
    try {
      const r = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) })
      d.status = r.status
      d.response = (await r.text()).slice(0, 2_000)
    } catch (e) {
      d.error = (e as Error).message
    }
    const path = (() => {
      try {
        return new URL(url).pathname
      } catch {
        return url
      }
    })()
    this.record({ provider, direction: 'out', method: 'POST', path, status: d.status ?? 0, summary: `${event} → ${url}${d.error ? ` (${d.error})` : ''}` })
    return d
  }
}

export async function readBody(req: IncomingMessage, limit = 30 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > limit) throw new HttpError(413, 'payload too large')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
  res.end(html)
}

/** A request handled by one provider module; `path` is relative to its prefix. */
export interface SandboxRequest {
  req: IncomingMessage
  res: ServerResponse
  method: string
  path: string
  url: URL
  body: Buffer
}

export type ProviderModule = (r: SandboxRequest) => Promise<void>

/** Deterministic 32-bit PRNG (mulberry32) seeded from a hash. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function parseJson(body: Buffer): unknown {
  if (!body.length) return {}
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'invalid JSON body')
  }
}
