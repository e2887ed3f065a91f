/**
 * `/auth/v1`: a GoTrue stand-in for the local gateway (supabase-contract.md §2).
 * Settings come from supabase/config.toml [auth]; rows are written to the auth
 * schema in GoTrue's shapes through `ctx.authDb` (supabase_auth_admin), so
 * triggers on auth.users run inside the same transactions as on Supabase.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GatewayContext, GatewayModule } from '../context.ts'
import { BodyTooLarge, readBody } from '../http.ts'
import * as admin from './admin.ts'
import { loadAuthSettings, type AuthSettings } from './config.ts'
import { API_VERSION, AuthError, badRequest, OAuthError, sendError } from './errors.ts'
import * as flows from './flows.ts'
import { createService, type AuthService } from './service.ts'

export interface AuthOptions {
  /** Overrides of the config.toml settings (tests run a second instance with other settings). */
  settings?: Partial<AuthSettings>
}

type Handler = (svc: AuthService, req: IncomingMessage, url: URL, body: unknown, param: string) => Promise<flows.Reply & { headers?: Record<string, string> }>

const ROUTES: { method: string; path: RegExp; fn: Handler }[] = [
  { method: 'POST', path: /^\/signup$/, fn: (s, r, u, b) => flows.signup(s, r, u, b) },
  { method: 'POST', path: /^\/token$/, fn: (s, r, u, b) => flows.token(s, r, u, b) },
  { method: 'POST', path: /^\/otp$/, fn: (s, r, u, b) => flows.otp(s, r, u, b) },
  { method: 'POST', path: /^\/magiclink$/, fn: (s, r, u, b) => flows.otp(s, r, u, b) },
  { method: 'POST', path: /^\/verify$/, fn: (s, r, u, b) => flows.verifyPost(s, r, u, b) },
  { method: 'GET', path: /^\/verify$/, fn: (s, r, u) => flows.verifyGet(s, r, u) },
  { method: 'POST', path: /^\/recover$/, fn: (s, r, u, b) => flows.recover(s, r, u, b) },
  { method: 'POST', path: /^\/resend$/, fn: (s, r, u, b) => flows.resend(s, r, u, b) },
  { method: 'GET', path: /^\/user$/, fn: (s, r) => flows.getUser(s, r) },
  { method: 'PUT', path: /^\/user$/, fn: (s, r, u, b) => flows.updateUser(s, r, u, b) },
  { method: 'POST', path: /^\/logout$/, fn: (s, r, u) => flows.logout(s, r, u) },
  { method: 'POST', path: /^\/invite$/, fn: (s, r, u, b) => admin.invite(s, r, u, b) },
  { method: 'POST', path: /^\/admin\/generate_link$/, fn: (s, r, u, b) => admin.generateLink(s, r, u, b) },
  { method: 'GET', path: /^\/admin\/users$/, fn: (s, r, u) => admin.listUsers(s, r, u) },
  { method: 'POST', path: /^\/admin\/users$/, fn: (s, r, u, b) => admin.createUser(s, r, u, b) },
  { method: 'GET', path: /^\/admin\/users\/([^/]+)$/, fn: (s, r, _u, _b, id) => admin.getUserById(s, r, id) },
  { method: 'PUT', path: /^\/admin\/users\/([^/]+)$/, fn: (s, r, _u, b, id) => admin.updateUserById(s, r, id, b) },
  { method: 'DELETE', path: /^\/admin\/users\/([^/]+)$/, fn: (s, r, _u, b, id) => admin.deleteUser(s, r, id, b) },
  { method: 'GET', path: /^\/settings$/, fn: async (s) => ({ status: 200, body: settingsJson(s.s) }) },
  { method: 'GET', path: /^\/health$/, fn: async () => ({ status: 200, body: { version: 'local', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' } }) },
  { method: 'GET', path: /^\/\.well-known\/jwks\.json$/, fn: async () => ({ status: 200, body: { keys: [] } }) },
  {
    method: 'GET', path: /^\/authorize$/,
    fn: async (_s, _r, u) => {
      throw badRequest('validation_failed', `Unsupported provider: provider ${u.searchParams.get('provider') ?? ''} is not enabled`)
    },
  },
]

function settingsJson(s: AuthSettings) {
  const off = ['apple', 'azure', 'bitbucket', 'discord', 'facebook', 'figma', 'fly', 'github', 'gitlab', 'google', 'keycloak', 'kakao', 'linkedin', 'linkedin_oidc', 'notion', 'spotify', 'slack', 'slack_oidc', 'workos', 'twitch', 'twitter', 'x', 'zoom']
  return {
    external: { ...Object.fromEntries(off.map((p) => [p, false])), anonymous_users: s.enableAnonymousSignIns, email: s.emailSignup, phone: false },
    disable_signup: !s.enableSignup,
    mailer_autoconfirm: !s.enableConfirmations,
    phone_autoconfirm: false,
    sms_provider: '',
    saml_enabled: false,
    passkeys_enabled: false,
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') return {}
  let buf: Buffer
  try {
    buf = await readBody(req, 1024 * 1024)
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new AuthError(413, 'request_too_large', 'Request body too large')
    throw e
  }
  const text = buf.toString('utf8').trim()
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch (e) {
    throw badRequest('bad_json', `Could not parse request body as JSON: ${(e as Error).message}`)
  }
}

/** The role the structured request log records: from the bearer, without verifying it twice. */
function roleOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization
  const m = h && /^Bearer\s+[^.]+\.([^.]+)\./i.exec(h)
  if (!m) return undefined
  try {
    const p = JSON.parse(Buffer.from(m[1] ?? '', 'base64url').toString('utf8')) as { role?: unknown }
    return typeof p.role === 'string' ? p.role : undefined
  } catch {
    return undefined
  }
}

export function createAuth(ctx: GatewayContext, opts: AuthOptions = {}): GatewayModule {
  const settings = { ...loadAuthSettings(), ...opts.settings }
  const svc = createService(ctx, settings)
  return {
    async handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL) {
      ;(res as ServerResponse & { role?: string }).role = roleOf(req)
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')
      try {
        let matched = false
        for (const r of ROUTES) {
          const m = r.path.exec(path)
          if (!m) continue
          matched = true
          if (r.method !== method) continue
          const body = await readJson(req)
          const out = await r.fn(svc, req, url, body, m[1] ?? '')
          if ('redirect' in out) {
            res.writeHead(303, { location: out.redirect })
            return void res.end()
          }
          const headers: Record<string, string> = { 'x-supabase-api-version': API_VERSION, ...(out.headers ?? {}) }
          if (out.status === 204 || out.body === undefined) {
            res.writeHead(out.status, headers)
            return void res.end()
          }
          res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', ...headers })
          return void res.end(JSON.stringify(out.body))
        }
        throw matched
          ? new AuthError(405, 'method_not_allowed', `Method ${req.method} not allowed`)
          : new AuthError(404, 'not_found', `No route for ${path}`)
      } catch (e) {
        if (e instanceof AuthError || e instanceof OAuthError) return sendError(req, res, e)
        throw e
      }
    },
    async close() {
      svc.mailer.close()
    },
  }
}
