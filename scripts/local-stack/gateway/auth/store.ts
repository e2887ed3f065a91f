/**
 * Rows of the auth schema in GoTrue's shapes (users, identities, sessions,
 * refresh_tokens, mfa_amr_claims, one_time_tokens, flow_state) and the JSON
 * GoTrue renders from them. Every statement is parameterised.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { SignJWT } from 'jose'
import type postgres from 'postgres'

export type Db = postgres.Sql

export interface UserRow {
  instance_id: string | null
  id: string
  aud: string | null
  role: string | null
  email: string | null
  encrypted_password: string | null
  email_confirmed_at: Date | null
  invited_at: Date | null
  confirmation_token: string | null
  confirmation_sent_at: Date | null
  recovery_token: string | null
  recovery_sent_at: Date | null
  email_change_token_new: string | null
  email_change: string | null
  email_change_sent_at: Date | null
  email_change_token_current: string | null
  email_change_confirm_status: number | null
  last_sign_in_at: Date | null
  raw_app_meta_data: Record<string, unknown> | null
  raw_user_meta_data: Record<string, unknown> | null
  created_at: Date | null
  updated_at: Date | null
  phone: string | null
  phone_confirmed_at: Date | null
  confirmed_at: Date | null
  banned_until: Date | null
  deleted_at: Date | null
  is_anonymous: boolean
}

export interface IdentityRow {
  id: string
  provider_id: string
  user_id: string
  identity_data: Record<string, unknown>
  provider: string
  last_sign_in_at: Date | null
  created_at: Date | null
  updated_at: Date | null
  email: string | null
}

export type OttType =
  | 'confirmation_token'
  | 'recovery_token'
  | 'email_change_token_new'
  | 'email_change_token_current'
  | 'reauthentication_token'

/** The user column that mirrors each one-time token type. */
const OTT_COLUMN: Record<OttType, string> = {
  confirmation_token: 'confirmation_token',
  recovery_token: 'recovery_token',
  email_change_token_new: 'email_change_token_new',
  email_change_token_current: 'email_change_token_current',
  reauthentication_token: 'reauthentication_token',
}

export const INSTANCE_ID = '00000000-0000-0000-0000-000000000000'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined)

export function isBanned(u: UserRow): boolean {
  return !!u.banned_until && u.banned_until.getTime() > Date.now()
}

export function identityJson(i: IdentityRow) {
  return {
    identity_id: i.id,
    id: i.provider_id,
    user_id: i.user_id,
    identity_data: i.identity_data,
    provider: i.provider,
    last_sign_in_at: iso(i.last_sign_in_at),
    created_at: iso(i.created_at),
    updated_at: iso(i.updated_at),
    email: i.email ?? undefined,
  }
}

/** The user object of GoTrue's API (timestamps only when set). */
export function userJson(u: UserRow, identities: IdentityRow[]) {
  return {
    id: u.id,
    aud: u.aud ?? '',
    role: u.role ?? '',
    email: u.email ?? '',
    email_confirmed_at: iso(u.email_confirmed_at),
    phone: u.phone ?? '',
    phone_confirmed_at: iso(u.phone_confirmed_at),
    confirmation_sent_at: iso(u.confirmation_sent_at),
    confirmed_at: iso(u.confirmed_at),
    recovery_sent_at: iso(u.recovery_sent_at),
    new_email: u.email_change || undefined,
    email_change_sent_at: iso(u.email_change_sent_at),
    invited_at: iso(u.invited_at),
    last_sign_in_at: iso(u.last_sign_in_at),
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    banned_until: iso(u.banned_until),
    deleted_at: iso(u.deleted_at),
    is_anonymous: u.is_anonymous,
  }
}
export type UserJson = ReturnType<typeof userJson>

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined
  const [u] = await db<UserRow[]>`select * from auth.users where id = ${id}`
  return u
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [u] = await db<UserRow[]>`
    select * from auth.users
    where lower(email) = lower(${email}) and is_sso_user = false and deleted_at is null
    order by created_at limit 1`
  return u
}

export async function identitiesOf(db: Db, userId: string): Promise<IdentityRow[]> {
  return db<IdentityRow[]>`select * from auth.identities where user_id = ${userId} order by created_at`
}

export async function renderUser(db: Db, u: UserRow): Promise<UserJson> {
  return userJson(u, await identitiesOf(db, u.id))
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
}

/** Inserts a user (AFTER INSERT triggers fire in the caller's transaction) and its email identity. */
export async function insertUser(
  db: Db,
  u: {
    id?: string
    email: string | null
    phone?: string | null
    password?: string | null
    role?: string
    emailConfirmed: boolean
    userMeta: Record<string, unknown>
    appMeta?: Record<string, unknown>
    invited?: boolean
    isAnonymous?: boolean
    bannedUntil?: Date | null
  },
): Promise<UserRow> {
  const id = u.id ?? randomUUID()
  const provider = u.isAnonymous ? 'anonymous' : 'email'
  const appMeta = u.isAnonymous ? { ...(u.appMeta ?? {}) } : { provider, providers: [provider], ...(u.appMeta ?? {}) }
  const userMeta = u.isAnonymous
    ? u.userMeta
    : { ...u.userMeta, sub: id, email: u.email, email_verified: u.emailConfirmed, phone_verified: false }
  const [row] = await db<UserRow[]>`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
      confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
      raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at, phone,
      banned_until, is_anonymous)
    values (
      ${INSTANCE_ID}, ${id}, 'authenticated', ${u.role ?? 'authenticated'}, ${u.email ? u.email.toLowerCase() : null},
      ${u.password ?? ''}, ${u.emailConfirmed ? db`now()` : null}, ${u.invited ? db`now()` : null},
      '', '', '', '', '',
      ${db.json(appMeta as postgres.JSONValue)}, ${db.json(userMeta as postgres.JSONValue)}, false, now(), now(), ${u.phone ?? null},
      ${u.bannedUntil ?? null}, ${!!u.isAnonymous})
    returning *`
  if (!row) throw new Error('insert into auth.users returned no row')
  if (u.email && !u.isAnonymous) {
    const data = { sub: id, email: u.email.toLowerCase(), email_verified: u.emailConfirmed, phone_verified: false }
    await db`
      insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
      values (${id}, ${id}, ${db.json(data)}, 'email', null, now(), now())`
  }
  return row
}

/** Marks the e-mail confirmed on the user, its metadata and its email identity. */
export async function confirmEmail(db: Db, userId: string): Promise<void> {
  await db`
    update auth.users set
      email_confirmed_at = coalesce(email_confirmed_at, now()),
      raw_user_meta_data = case when raw_user_meta_data ? 'email_verified'
        then jsonb_set(raw_user_meta_data, '{email_verified}', 'true') else raw_user_meta_data end,
      updated_at = now()
    where id = ${userId}`
  await db`
    update auth.identities set identity_data = jsonb_set(identity_data, '{email_verified}', 'true'), updated_at = now()
    where user_id = ${userId} and provider = 'email'`
}

// ---------------------------------------------------------------- one-time tokens

/** GoTrue's token hash: hex SHA-224 of the e-mail followed by the OTP. */
export function tokenHash(email: string, otp: string): string {
  return createHash('sha224').update(email.toLowerCase() + otp).digest('hex')
}

export function newOtp(length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += String(randomInt(10))
  return s
}

/** Stores a one-time token (one per user and type) and mirrors it on the user row. */
export async function putOneTimeToken(db: Db, userId: string, type: OttType, hash: string, relatesTo: string): Promise<void> {
  await db`
    insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
    values (${randomUUID()}, ${userId}, ${type}, ${hash}, ${relatesTo.toLowerCase()}, now(), now())
    on conflict (user_id, token_type) do update
      set token_hash = excluded.token_hash, relates_to = excluded.relates_to, created_at = now(), updated_at = now()`
  await db`update auth.users set ${db(OTT_COLUMN[type])} = ${hash} where id = ${userId}`
}

export async function clearOneTimeToken(db: Db, userId: string, type: OttType): Promise<void> {
  await db`delete from auth.one_time_tokens where user_id = ${userId} and token_type = ${type}`
  await db`update auth.users set ${db(OTT_COLUMN[type])} = '' where id = ${userId}`
}

export interface OttRow {
  id: string
  user_id: string
  token_type: OttType
  token_hash: string
  relates_to: string
  expired: boolean
}

/** Finds a token by hash among the given types; `expired` uses created_at + expiry. */
export async function findOneTimeToken(db: Db, hashes: string[], types: OttType[], expirySeconds: number): Promise<OttRow | undefined> {
  const [row] = await db<OttRow[]>`
    select id, user_id, token_type, token_hash, relates_to,
           created_at < (now() - make_interval(secs => ${expirySeconds}))::timestamp as expired
    from auth.one_time_tokens
    where token_hash in ${db(hashes)} and token_type in ${db(types)}
    order by created_at desc limit 1
    for update`
  return row
}

// ---------------------------------------------------------------- PKCE flow state

export interface FlowStateRow {
  id: string
  user_id: string | null
  auth_code: string
  code_challenge_method: string
  code_challenge: string
  provider_type: string
  authentication_method: string
  created_at: Date
  auth_code_issued_at: Date | null
}

export async function createFlowState(
  db: Db,
  p: { userId: string; challenge: string; method: string; providerType: string; authMethod: string },
): Promise<FlowStateRow> {
  const [row] = await db<FlowStateRow[]>`
    insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, provider_type,
                                 authentication_method, created_at, updated_at)
    values (${randomUUID()}, ${p.userId}, ${randomUUID()}, ${p.method}, ${p.challenge}, ${p.providerType},
            ${p.authMethod}, now(), now())
    returning *`
  if (!row) throw new Error('insert into auth.flow_state returned no row')
  return row
}

// ---------------------------------------------------------------- sessions and tokens

/** GoTrue's refresh tokens: 12 random lowercase letters and digits. */
export function newRefreshToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = randomBytes(12)
  let s = ''
  for (const b of bytes) s += alphabet[b % alphabet.length]
  return s
}

export interface Grant {
  sessionId: string
  refreshToken: string
}

export function clientIp(req: IncomingMessage): string | null {
  const ip = req.socket.remoteAddress ?? null
  return ip?.startsWith('::ffff:') ? ip.slice(7) : ip
}

/** A new session with its first refresh token and its authentication method. */
export async function createSession(db: Db, userId: string, method: string, req: IncomingMessage): Promise<Grant> {
  const sessionId = randomUUID()
  const ua = (req.headers['user-agent'] as string | undefined) ?? null
  await db`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
    values (${sessionId}, ${userId}, now(), now(), 'aal1', ${ua}, ${clientIp(req)})`
  await db`
    insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
    values (${sessionId}, now(), now(), ${method}, ${randomUUID()})
    on conflict (session_id, authentication_method) do update set updated_at = now()`
  const refreshToken = await insertRefreshToken(db, userId, sessionId, null)
  await db`
    update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${userId}`
  await db`update auth.identities set last_sign_in_at = now() where user_id = ${userId}`
  return { sessionId, refreshToken }
}

export async function insertRefreshToken(db: Db, userId: string, sessionId: string, parent: string | null): Promise<string> {
  const token = newRefreshToken()
  await db`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values (${INSTANCE_ID}, ${token}, ${userId}, false, now(), now(), ${parent}, ${sessionId})`
  return token
}

export interface SessionSigner {
  secret: Uint8Array
  issuer: string
  expiry: number
}

/** The token response GoTrue sends: a signed access token, the refresh token and the user. */
export async function sessionResponse(db: Db, signer: SessionSigner, userId: string, grant: Grant) {
  const u = await findUserById(db, userId)
  if (!u) throw new Error(`user ${userId} vanished while issuing a session`)
  const amrRows = await db<{ method: string; ts: number }[]>`
    select authentication_method as method, extract(epoch from created_at)::bigint as ts
    from auth.mfa_amr_claims where session_id = ${grant.sessionId} order by created_at desc`
  const now = Math.floor(Date.now() / 1000)
  const exp = now + signer.expiry
  const claims = {
    aud: u.aud ?? 'authenticated',
    exp,
    iat: now,
    iss: signer.issuer,
    sub: u.id,
    email: u.email ?? '',
    phone: u.phone ?? '',
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    role: u.role || 'authenticated',
    aal: 'aal1',
    amr: amrRows.map((r) => ({ method: r.method, timestamp: Number(r.ts) })),
    session_id: grant.sessionId,
    is_anonymous: u.is_anonymous,
  }
  const accessToken = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(signer.secret)
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: signer.expiry,
    expires_at: exp,
    refresh_token: grant.refreshToken,
    user: await renderUser(db, u),
  }
}
export type SessionJson = Awaited<ReturnType<typeof sessionResponse>>

export async function sessionExists(db: Db, sessionId: string): Promise<boolean> {
  if (!isUuid(sessionId)) return false
  const [s] = await db<{ ok: boolean }[]>`
    select (not_after is null or not_after > now()) as ok from auth.sessions where id = ${sessionId}`
  return !!s?.ok
}
