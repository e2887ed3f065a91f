/**
 * The local gateway at :54321: one HTTP/WebSocket server that stands in for
 * Supabase's Kong + PostgREST + GoTrue + Realtime + Storage + Functions relay.
 * It translates API keys as the CLI's gateway does, answers CORS preflights,
 * logs one structured line per request and routes by prefix to the modules.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { StackConfig } from '../config.ts'
import type { Service } from '../stack.ts'
import { closeContext, createContext, dbFailure, type GatewayContext, type GatewayModule } from './context.ts'
import { CORS_HEADERS, sendJson } from './http.ts'
import { createAuth } from './auth/index.ts'
import { createFunctionsRelay } from './functions/index.ts'
import { createRealtime } from './realtime/index.ts'
import { createRest } from './rest/index.ts'
import { createStorage } from './storage/index.ts'

/**
 * Key translation of the CLI's gateway: an opaque `sb_secret_`/`sb_publishable_`
 * key becomes the matching JWT; any other Authorization passes through.
 */
export function translateKeys(req: IncomingMessage, cfg: StackConfig): void {
  const auth = req.headers.authorization
  if (auth && !/^Bearer\s+sb_/i.test(auth)) return
  const apikey = (req.headers.apikey as string | undefined) ?? (auth ? auth.replace(/^Bearer\s+/i, '') : undefined)
  if (!apikey) return
  if (apikey === cfg.keys.secretKey) req.headers.authorization = `Bearer ${cfg.keys.serviceRoleKey}`
  else if (apikey === cfg.keys.publishableKey) req.headers.authorization = `Bearer ${cfg.keys.anonKey}`
  else req.headers.authorization = `Bearer ${apikey}`
}

export function createGateway(ctx: GatewayContext) {
  const modules: Record<string, GatewayModule> = {
    '/rest/v1': createRest(ctx),
    '/auth/v1': createAuth(ctx),
    '/realtime/v1': createRealtime(ctx),
    '/storage/v1': createStorage(ctx),
    '/functions/v1': createFunctionsRelay(ctx),
  }
  const route = (pathname: string): [GatewayModule, string] | undefined => {
    for (const [prefix, mod] of Object.entries(modules)) {
      if (pathname === prefix || pathname.startsWith(prefix + '/')) return [mod, pathname.slice(prefix.length) || '/']
    }
    return undefined
  }

  const server = createServer({ maxHeaderSize: 64 * 1024 }, async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now()
    const traceId = (req.headers['x-request-id'] as string) ?? randomUUID()
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v)
    res.setHeader('x-request-id', traceId)
    res.on('finish', () => {
      ctx.log({
        level: 'info', service: 'gateway', traceId, method: req.method, path: req.url?.split('?')[0],
        role: (res as ServerResponse & { role?: string }).role, status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      })
    })
    const url = new URL(req.url ?? '/', 'http://localhost')
    try {
      if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok' })
      if (req.method === 'OPTIONS' && !url.pathname.startsWith('/functions/v1')) {
        res.writeHead(200)
        return void res.end()
      }
      translateKeys(req, ctx.cfg)
      const hit = route(url.pathname)
      if (!hit) return sendJson(res, 404, { message: 'no Route matched with those values' })
      await hit[0].handle(req, res, hit[1], url)
    } catch (e) {
      ctx.log({ level: 'error', service: 'gateway', traceId, message: 'unhandled', error: String((e as Error).stack ?? e) })
      if (!res.headersSent) sendJson(res, 500, { message: 'An unexpected error occurred in the local gateway', code: 'unexpected_failure' })
      else res.end()
    }
  })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    translateKeys(req, ctx.cfg)
    const hit = route(url.pathname)
    if (!hit?.[0].upgrade) return socket.destroy()
    hit[0].upgrade(req, socket, head, hit[1], url)
  })
  return {
    server,
    async close() {
      for (const m of Object.values(modules)) await m.close?.()
    },
  }
}

let driverGuard = false

/**
 * postgres.js runs an internal query when a connection opens (the array types) and
 * nobody holds its promise: when Postgres goes away at that moment the rejection is
 * unhandled, which would end the whole supervisor. Connection failures are logged
 * instead; every other unhandled rejection still ends the process, as by default.
 */
export function guardDriverRejections(log: (e: Record<string, unknown>) => void): void {
  if (driverGuard) return
  driverGuard = true
  process.on('unhandledRejection', (reason) => {
    if (!dbFailure(reason)) throw reason
    log({ level: 'warn', service: 'gateway', message: 'database connection lost during a driver query', error: String((reason as Error).message ?? reason) })
  })
}

export async function start(cfg: StackConfig): Promise<Service> {
  const jsonLog = process.env.GATEWAY_LOG === 'stdout'
  const log = (e: Record<string, unknown>) => {
    if (jsonLog || e.level === 'error') process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), ...e }) + '\n')
  }
  guardDriverRejections(log)
  const ctx = createContext(cfg, log)
  const gw = createGateway(ctx)
  await new Promise<void>((res, rej) => {
    gw.server.once('error', rej)
    gw.server.listen(cfg.ports.gateway, '127.0.0.1', () => res())
  })
  return {
    name: 'gateway',
    url: cfg.apiUrl,
    async stop() {
      gw.server.closeAllConnections()
      await new Promise((r) => gw.server.close(r))
      await gw.close()
      await closeContext(ctx)
    },
  }
}
