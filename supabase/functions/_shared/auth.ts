/**
 * Who is calling: verifies the caller's JWT and resolves tenant membership.
 *
 * Verification, in order:
 * 1. `Authorization: Bearer <SUPABASE_SERVICE_ROLE_KEY>` (exact, constant-time
 *    match) is the service role — cron/pg_net jobs call workers this way
 *    (private.invoke_edge_function). Comparing with the configured key works
 *    whatever the project's signing keys are.
 * 2. Otherwise the token is a user's (or anon) JWT. When SUPABASE_JWT_SECRET is
 *    set (the local stack; projects on the legacy shared secret) it is checked
 *    as HS256 with that secret, offline. When it is not set (projects on
 *    asymmetric signing keys, Supabase's default now) it is checked against the
 *    project's JWKS at `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`, fetched
 *    once and cached by jose (refetched on an unknown `kid`).
 * `exp` is always enforced; claims are validated with zod.
 *
 * Membership: when `public.tenant_members` exists, the caller's memberships
 * are read as the caller (RLS applies), so a function never trusts a tenant id
 * from the request without checking it.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { z } from 'zod'
import { config } from './config.ts'
import { db, withUser, type Sql } from './db.ts'
import { HttpError } from './http.ts'

export const jwtClaimsSchema = z.looseObject({
  sub: z.string().optional(),
  role: z.string().min(1),
  exp: z.number(),
  iat: z.number().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  session_id: z.string().optional(),
  is_anonymous: z.boolean().optional(),
  aal: z.string().optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
})
export type JwtClaims = z.infer<typeof jwtClaimsSchema>

export type Caller =
  | { kind: 'service'; token: string; claims: JwtClaims }
  | { kind: 'user'; token: string; claims: JwtClaims & { sub: string }; userId: string }
  | { kind: 'anon'; token: string; claims: JwtClaims }

export interface AuthOptions {
  jwtSecret?: string
  supabaseUrl?: string
  serviceRoleKey?: string
  /** Key set to verify against (tests); defaults to the project's remote JWKS. */
  jwks?: JWTVerifyGetKey
}

let remoteJwks: { url: string; set: JWTVerifyGetKey } | undefined

function jwksFor(supabaseUrl: string): JWTVerifyGetKey {
  const url = new URL('/auth/v1/.well-known/jwks.json', supabaseUrl).toString()
  if (remoteJwks?.url !== url) remoteJwks = { url, set: createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000 }) }
  return remoteJwks.set
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let diff = x.length ^ y.length
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return diff === 0
}

export function bearerToken(req: Request): string {
  const h = req.headers.get('authorization') ?? ''
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim())
  if (!m) throw new HttpError('unauthorized', 'Missing bearer token', undefined, { headers: { 'WWW-Authenticate': 'Bearer' } })
  return m[1]
}

/** Verifies a JWT and returns its validated claims; HttpError 401 invalid_token otherwise. */
export async function verifyJwt(token: string, opts: AuthOptions = {}): Promise<JwtClaims> {
  const secret = opts.jwtSecret ?? (opts.jwks ? undefined : config().SUPABASE_JWT_SECRET)
  let payload: unknown
  try {
    if (secret) {
      payload = (await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], requiredClaims: ['exp'] })).payload
    } else {
      const keys = opts.jwks ?? jwksFor(opts.supabaseUrl ?? config().SUPABASE_URL)
      payload = (await jwtVerify(token, keys, { algorithms: ['RS256', 'ES256', 'EdDSA'], requiredClaims: ['exp'] })).payload
    }
  } catch (e) {
    const code = (e as { code?: string }).code
    const message = code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : 'The token is invalid'
    throw new HttpError('invalid_token', message, undefined, { cause: e, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } })
  }
  const r = jwtClaimsSchema.safeParse(payload)
  if (!r.success) throw new HttpError('invalid_token', 'The token claims are invalid')
  return r.data
}

/** Identifies the caller of `req`; HttpError 401 when there is no valid token. */
export async function authenticate(req: Request, opts: AuthOptions = {}): Promise<Caller> {
  const token = bearerToken(req)
  const serviceKey = opts.serviceRoleKey ?? config().SUPABASE_SERVICE_ROLE_KEY
  if (timingSafeEqual(token, serviceKey)) return { kind: 'service', token, claims: { role: 'service_role', exp: Number.MAX_SAFE_INTEGER } }
  const claims = await verifyJwt(token, opts)
  if (claims.role === 'service_role') return { kind: 'service', token, claims }
  if (claims.role === 'authenticated' && claims.sub) return { kind: 'user', token, claims: { ...claims, sub: claims.sub }, userId: claims.sub }
  if (claims.role === 'anon') return { kind: 'anon', token, claims }
  throw new HttpError('invalid_token', 'The token has no usable role')
}

/** A signed-in user, or HttpError (401 for anon, 403 for service callers). */
export async function requireUser(req: Request, opts: AuthOptions = {}): Promise<Extract<Caller, { kind: 'user' }>> {
  const caller = await authenticate(req, opts)
  if (caller.kind === 'user') return caller
  if (caller.kind === 'anon') throw new HttpError('unauthorized', 'Sign in first')
  throw new HttpError('forbidden', 'This endpoint acts for a user; the service role has none')
}

/** The service role (cron jobs, workers), or HttpError 403. */
export async function requireService(req: Request, opts: AuthOptions = {}): Promise<Extract<Caller, { kind: 'service' }>> {
  const caller = await authenticate(req, opts)
  if (caller.kind !== 'service') throw new HttpError('forbidden', 'Only the service role may call this endpoint')
  return caller
}

export const TENANT_ROLES = ['assistant', 'agent', 'admin', 'owner'] as const
export type TenantRole = (typeof TENANT_ROLES)[number]
export const roleAtLeast = (role: TenantRole, min: TenantRole) => TENANT_ROLES.indexOf(role) >= TENANT_ROLES.indexOf(min)

export interface Membership {
  tenantId: string
  role: TenantRole
}

const membershipRow = z.object({ tenant_id: z.string(), role: z.enum(TENANT_ROLES) })
let hasMembersTable: Promise<boolean> | undefined

async function membersTableExists(sql: Sql): Promise<boolean> {
  hasMembersTable ??= sql`select to_regclass('public.tenant_members') is not null as ok`.then((r) => Boolean(r[0]?.ok))
  return hasMembersTable
}

/**
 * The caller's tenant memberships, read as the caller (RLS applies). Empty
 * when `public.tenant_members` does not exist (yet).
 */
export async function memberships(caller: Extract<Caller, { kind: 'user' }>, sql: Sql = db()): Promise<Membership[]> {
  if (!(await membersTableExists(sql))) return []
  const rows = await withUser(caller.claims, (tx) => tx`
    select tenant_id::text, role::text from public.tenant_members where user_id = ${caller.userId} order by created_at`, sql)
  return rows.map((r) => membershipRow.parse(r)).map((r) => ({ tenantId: r.tenant_id, role: r.role }))
}

/**
 * The caller's membership of `tenantId` with at least `min`; HttpError 403
 * `not_a_member` otherwise. `tenantId` usually comes from `x-tenant-id`.
 */
export async function requireTenantRole(
  caller: Extract<Caller, { kind: 'user' }>,
  tenantId: string | null | undefined,
  min: TenantRole = 'assistant',
  sql: Sql = db(),
): Promise<Membership> {
  if (!tenantId || !z.uuid().safeParse(tenantId).success) throw new HttpError('bad_request', 'A tenant id (x-tenant-id) is required')
  const m = (await memberships(caller, sql)).find((x) => x.tenantId === tenantId)
  if (!m || !roleAtLeast(m.role, min)) throw new HttpError('not_a_member', `This action needs the ${min} role on the tenant`)
  return m
}
