/**
 * `/functions/v1` relay: what Supabase's gateway and the CLI's edge-runtime
 * `main.ts` do in front of the functions (contract §5).
 *
 * - unknown function → 404 text/plain "Function not found";
 * - `verify_jwt` per function from supabase/config.toml (`[functions.<name>]
 *   verify_jwt = false`; default true): no Authorization → 401
 *   `{"msg":"Error: Missing authorization header"}`, a token that does not
 *   verify → 401 `{"msg":"Invalid JWT"}`; OPTIONS never needs a JWT;
 * - everything else is streamed to the local edge runtime (runner) with the
 *   method, the path after `/functions/v1` (the function name first), the
 *   query and the headers; the function's status, headers and body come back
 *   untouched (streamed).
 * Errors produced here rather than by a function carry `x-relay-error: true`,
 * which supabase-js turns into a FunctionsRelayError.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { z } from 'zod'
import { ROOT } from '../../config.ts'
import type { GatewayContext, GatewayModule } from '../context.ts'
import { bearer, sendJson } from '../http.ts'

const FUNCTIONS_DIR = join(ROOT, 'supabase/functions')
const CONFIG_FILE = join(ROOT, 'supabase/config.toml')
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

/** Hop-by-hop headers never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host'])

const FunctionsConfig = z.object({
  functions: z.record(z.string(), z.object({ verify_jwt: z.boolean().optional() }).passthrough()).optional(),
}).passthrough()

/** `verify_jwt` per function, re-read when config.toml changes. */
function createJwtSettings(file: string) {
  let cached: { mtimeMs: number; map: Map<string, boolean> } | undefined
  return (name: string): boolean => {
    let mtimeMs = -1
    try {
      mtimeMs = statSync(file).mtimeMs
    } catch {}
    if (!cached || cached.mtimeMs !== mtimeMs) {
      const map = new Map<string, boolean>()
      if (mtimeMs >= 0) {
        const parsed = FunctionsConfig.parse(parseToml(readFileSync(file, 'utf8')))
        for (const [fn, conf] of Object.entries(parsed.functions ?? {})) {
          if (conf.verify_jwt !== undefined) map.set(fn, conf.verify_jwt)
        }
      }
      cached = { mtimeMs, map }
    }
    return cached.map.get(name) ?? true
  }
}

function relayError(res: import('node:http').ServerResponse, status: number, body: unknown) {
  sendJson(res, status, body, { 'x-relay-error': 'true' })
}

export function createFunctionsRelay(ctx: GatewayContext): GatewayModule {
  const verifyJwtFor = createJwtSettings(CONFIG_FILE)
  const target = new URL(ctx.cfg.functionsUrl)

  return {
    async handle(req, res, path, url) {
      const name = decodeURIComponent(path.split('/')[1] ?? '')
      if (!NAME_RE.test(name) || !existsSync(join(FUNCTIONS_DIR, name, 'index.ts'))) {
        res.writeHead(404, { 'content-type': 'text/plain', 'x-relay-error': 'true' })
        return void res.end('Function not found')
      }
      const method = (req.method ?? 'GET').toUpperCase()
      if (method !== 'OPTIONS' && verifyJwtFor(name)) {
        const token = bearer(req)
        if (!req.headers.authorization) return relayError(res, 401, { msg: 'Error: Missing authorization header' })
        try {
          if (!token) throw new Error('not a bearer token')
          const claims = await ctx.verifyJwt(token)
          ;(res as typeof res & { role?: string }).role = claims.role
        } catch {
          return relayError(res, 401, { msg: 'Invalid JWT' })
        }
      }

      const headers: IncomingHttpHeaders = {}
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v
      headers['x-forwarded-host'] = req.headers.host
      headers['x-forwarded-proto'] = 'http'
      headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1'

      await new Promise<void>((resolve) => {
        const upstream = httpRequest({
          host: target.hostname,
          port: target.port,
          method,
          path: `${path}${url.search}`,
          headers,
        }, (up) => {
          const out: Record<string, string | string[]> = {}
          for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v
          res.writeHead(up.statusCode ?? 502, out)
          up.pipe(res)
          up.on('end', resolve)
          up.on('error', () => (res.destroy(), resolve()))
        })
        upstream.on('error', (e) => {
          ctx.log({ level: 'error', service: 'gateway', message: 'functions relay: edge runtime unreachable', error: String(e) })
          if (!res.headersSent) relayError(res, 502, { code: 'BAD_GATEWAY', message: 'The edge runtime is not reachable' })
          else res.destroy()
          resolve()
        })
        req.pipe(upstream)
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy()
          resolve()
        })
      })
    },
  }
}
