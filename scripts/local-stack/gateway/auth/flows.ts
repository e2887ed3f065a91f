/**
 * The public GoTrue endpoints: sign-up, token grants (password, refresh_token,
 * pkce), OTP / magic link, verify (POST and GET with redirects), recover,
 * resend, user GET/PUT and logout.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import { AuthError, badRequest, forbidden, internal, notFound, OAuthError, unprocessable } from './errors.ts'
import { pkceParams, type AuthService } from './service.ts'
import {
  clearOneTimeToken, confirmEmail, findOneTimeToken, findUserByEmail, findUserById, insertRefreshToken, insertUser,
  isBanned, renderUser, tokenHash, type Db, type FlowStateRow, type OttType, type UserRow,
} from './store.ts'

export type Reply = { status: number; body?: unknown } | { redirect: string }

const json = (status: number, body?: unknown): Reply => ({ status, body })

const Meta = z.record(z.string(), z.unknown())
const Pkce = { code_challenge: z.string().nullish(), code_challenge_method: z.string().nullish() }

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    throw badRequest('validation_failed', `Unable to validate request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`)
  }
  return r.data
}

/** Runs `fn` in a transaction; a database failure while inserting the user becomes GoTrue's 500. */
async function withNewUser<T>(svc: AuthService, fn: (tx: Db) => Promise<T>): Promise<T> {
  return svc.db.begin(async (tx) => fn(tx as unknown as Db)) as Promise<T>
}

export async function createUserOr500(tx: Db, svc: AuthService, args: Parameters<typeof insertUser>[1], message = 'Database error saving new user') {
  try {
    // A trigger failure aborts the transaction; the thrown error rolls it back.
    return await insertUser(tx, args)
  } catch (e) {
    svc.ctx.log({ level: 'error', service: 'auth', message, error: String((e as Error).message ?? e) })
    throw internal(message)
  }
}

/** A confirmed user's sign-up with confirmations on: a fake user, so addresses cannot be probed. */
function obfuscatedUser(email: string, data: Record<string, unknown>) {
  const now = new Date().toISOString()
  return {
    id: randomUUID(), aud: 'authenticated', role: '', email, phone: '', confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: data, identities: [],
    created_at: now, updated_at: now, is_anonymous: false,
  }
}

// ---------------------------------------------------------------- signup

const SignupBody = z.looseObject({
  email: z.string().nullish(),
  phone: z.string().nullish(),
  password: z.string().nullish(),
  data: Meta.nullish(),
  ...Pkce,
})

export async function signup(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const b = parse(SignupBody, raw)
  const data = b.data ?? {}
  if (!svc.s.enableSignup) throw unprocessable('signup_disabled', 'Signups not allowed for this instance')
  if (!b.email && !b.phone && !b.password) {
    if (!svc.s.enableAnonymousSignIns) throw unprocessable('anonymous_provider_disabled', 'Anonymous sign-ins are disabled')
    return svc.db.begin(async (tx0) => {
      const tx = tx0 as unknown as Db
      const u = await createUserOr500(tx, svc, { email: null, emailConfirmed: false, userMeta: data, isAnonymous: true })
      return json(200, await svc.issue(tx, u.id, 'anonymous', req))
    }) as Promise<Reply>
  }
  if (b.phone && !b.email) throw unprocessable('phone_provider_disabled', 'Phone signups are disabled')
  if (!svc.s.emailSignup) throw unprocessable('email_provider_disabled', 'Email signups are disabled')
  const email = svc.validEmail(b.email)
  if (!b.password) throw badRequest('validation_failed', 'Signup requires a valid password')
  svc.assertStrongPassword(b.password)
  const pkce = pkceParams(b, 'email/signup')
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  const hash = await svc.hashPassword(b.password)
  const autoconfirm = !svc.s.enableConfirmations

  return withNewUser(svc, async (tx) => {
    let user = await findUserByEmail(tx, email)
    if (user && (user.email_confirmed_at || autoconfirm)) {
      if (autoconfirm) throw unprocessable('user_already_exists', 'User already registered')
      return json(200, obfuscatedUser(email, data))
    }
    if (user) {
      // An unconfirmed account signing up again: new password and data, a new confirmation e-mail.
      const meta = { ...(user.raw_user_meta_data ?? {}), ...data }
      await tx`
        update auth.users set encrypted_password = ${hash}, raw_user_meta_data = ${tx.json(meta as never)}, updated_at = now()
        where id = ${user.id}`
    } else {
      user = await createUserOr500(tx, svc, { email, password: hash, emailConfirmed: autoconfirm, userMeta: data })
    }
    if (autoconfirm) return json(200, await svc.issue(tx, user.id, 'password', req))
    await svc.sendTokenMail(tx, req, {
      user, kind: 'signup', linkType: 'signup', ott: 'confirmation_token', to: email,
      sentAtColumn: 'confirmation_sent_at', redirect, pkce,
    })
    return json(200, await renderUser(tx, (await findUserById(tx, user.id))!))
  })
}

// ---------------------------------------------------------------- token grants

const PasswordBody = z.looseObject({ email: z.string().nullish(), phone: z.string().nullish(), password: z.string().nullish() })
const RefreshBody = z.looseObject({ refresh_token: z.string().nullish() })
const PkceBody = z.looseObject({ auth_code: z.string().nullish(), code_verifier: z.string().nullish() })

export async function token(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const grant = url.searchParams.get('grant_type')
  if (grant === 'password') return passwordGrant(svc, req, raw)
  if (grant === 'refresh_token') return refreshGrant(svc, req, raw)
  if (grant === 'pkce') return pkceGrant(svc, req, raw)
  throw badRequest('invalid_credentials', 'unsupported_grant_type')
}

async function passwordGrant(svc: AuthService, req: IncomingMessage, raw: unknown): Promise<Reply> {
  const b = parse(PasswordBody, raw)
  if (!b.email && !b.phone) throw badRequest('validation_failed', 'missing email or phone')
  if (!b.email) throw badRequest('invalid_credentials', 'Invalid login credentials')
  const password = b.password ?? ''
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const user = await findUserByEmail(tx, b.email!)
    if (!user) throw badRequest('invalid_credentials', 'Invalid login credentials')
    if (isBanned(user)) throw badRequest('user_banned', 'User is banned')
    if (!(await svc.checkPassword(password, user.encrypted_password))) throw badRequest('invalid_credentials', 'Invalid login credentials')
    if (!user.email_confirmed_at && svc.s.enableConfirmations) throw badRequest('email_not_confirmed', 'Email not confirmed')
    const session = await svc.issue(tx, user.id, 'password', req)
    const weak = svc.passwordProblems(password)
    return json(200, weak ? { ...session, weak_password: weak } : session)
  }) as Promise<Reply>
}

interface TokenRow {
  id: string
  token: string
  user_id: string
  revoked: boolean
  parent: string | null
  session_id: string | null
  reusable: boolean
  session_found: string | null
  session_valid: boolean | null
}

async function refreshGrant(svc: AuthService, _req: IncomingMessage, raw: unknown): Promise<Reply> {
  const b = parse(RefreshBody, raw)
  if (!b.refresh_token) throw new OAuthError('invalid_request', 'refresh_token required')
  const rt = b.refresh_token
  const outcome = await svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const [t] = await tx<TokenRow[]>`
      select r.id, r.token, r.user_id, r.revoked, r.parent, r.session_id,
             r.updated_at + make_interval(secs => ${svc.s.refreshTokenReuseInterval}) >= now() as reusable,
             s.id as session_found, (s.not_after is null or s.not_after > now()) as session_valid
      from auth.refresh_tokens r left join auth.sessions s on s.id = r.session_id
      where r.token = ${rt}
      for update of r`
    if (!t) throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
    const user = await findUserById(tx, t.user_id)
    if (!user) throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
    if (isBanned(user)) throw badRequest('user_banned', 'Invalid Refresh Token: User Banned')
    if (!t.session_found) throw badRequest('session_not_found', 'Invalid Refresh Token: No Valid Session Found')
    if (!t.session_valid) throw badRequest('session_expired', 'Invalid Refresh Token: Session Expired')
    // Serialise refreshes of one session.
    await tx`select id from auth.sessions where id = ${t.session_id} for update`
    let issued: string | undefined
    if (t.revoked) {
      const [active] = await tx<{ token: string; parent: string | null }[]>`
        select token, parent from auth.refresh_tokens
        where session_id = ${t.session_id} and revoked = false order by id desc limit 1`
      if (active && active.parent === t.token) {
        // The client lost the previous answer: hand back the active token instead of a new one.
        issued = active.token
      } else if (!t.reusable) {
        if (svc.s.refreshTokenRotation) {
          // Reuse outside the grace window: revoke the whole family (the session).
          await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = ${t.session_id} and revoked = false`
          await tx`update auth.sessions set not_after = now(), updated_at = now() where id = ${t.session_id}`
        }
        return { reused: true as const }
      }
    }
    if (!issued) {
      await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${t.id}`
      issued = await insertRefreshToken(tx, user.id, t.session_id!, t.token)
    }
    await tx`update auth.sessions set refreshed_at = now()::timestamp, updated_at = now() where id = ${t.session_id}`
    return { session: await svc.respondSession(tx, user.id, { sessionId: t.session_id!, refreshToken: issued }) }
  })
  if ('reused' in outcome) throw badRequest('refresh_token_already_used', 'Invalid Refresh Token: Already Used')
  return json(200, outcome.session)
}

/** AMR method recorded for a PKCE flow's authentication method. */
const FLOW_AMR: Record<string, string> = {
  'email/signup': 'otp', magiclink: 'magiclink', recovery: 'recovery', invite: 'invite', email_change: 'email_change',
}

async function pkceGrant(svc: AuthService, req: IncomingMessage, raw: unknown): Promise<Reply> {
  const b = parse(PkceBody, raw)
  if (!b.auth_code || !b.code_verifier) {
    throw badRequest('validation_failed', 'invalid request: both auth code and code verifier should be non-empty')
  }
  const code = b.auth_code
  const verifier = b.code_verifier
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const [f] = await tx<(FlowStateRow & { expired: boolean })[]>`
      select *, coalesce(auth_code_issued_at, created_at) + make_interval(secs => ${svc.s.flowStateExpiry}) < now() as expired
      from auth.flow_state where auth_code = ${code} and auth_code_issued_at is not null
      for update`
    if (!f) throw notFound('flow_state_not_found', 'invalid flow state, no valid flow state found')
    if (f.expired) throw unprocessable('flow_state_expired', 'Flow state has expired')
    const expected =
      f.code_challenge_method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url')
    if (expected !== f.code_challenge) throw badRequest('bad_code_verifier', 'code challenge does not match previously saved code verifier')
    const user = f.user_id ? await findUserById(tx, f.user_id) : undefined
    if (!user) throw notFound('user_not_found', 'User not found')
    if (isBanned(user)) throw badRequest('user_banned', 'User is banned')
    await tx`delete from auth.flow_state where id = ${f.id}`
    return json(200, await svc.issue(tx, user.id, FLOW_AMR[f.authentication_method] ?? f.authentication_method, req))
  }) as Promise<Reply>
}

// ---------------------------------------------------------------- otp, recover, resend

const OtpBody = z.looseObject({
  email: z.string().nullish(),
  phone: z.string().nullish(),
  data: Meta.nullish(),
  create_user: z.boolean().nullish(),
  ...Pkce,
})

export async function otp(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const b = parse(OtpBody, raw)
  if (b.phone && !b.email) throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  const email = svc.validEmail(b.email)
  const pkce = pkceParams(b, 'magiclink')
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  return withNewUser(svc, async (tx) => {
    let user = await findUserByEmail(tx, email)
    if (!user) {
      if (b.create_user === false || !svc.s.enableSignup || !svc.s.emailSignup) {
        throw unprocessable('otp_disabled', 'Signups not allowed for otp')
      }
      user = await createUserOr500(tx, svc, { email, emailConfirmed: false, userMeta: b.data ?? {} })
    }
    if (!user.email_confirmed_at) {
      await svc.sendTokenMail(tx, req, {
        user, kind: 'magiclink', linkType: 'signup', ott: 'confirmation_token', to: email,
        sentAtColumn: 'confirmation_sent_at', redirect, pkce,
      })
    } else {
      await svc.sendTokenMail(tx, req, {
        user, kind: 'magiclink', linkType: 'magiclink', ott: 'recovery_token', to: email,
        sentAtColumn: 'recovery_sent_at', redirect, pkce,
      })
    }
    return json(200, {})
  })
}

const RecoverBody = z.looseObject({ email: z.string().nullish(), ...Pkce })

export async function recover(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const b = parse(RecoverBody, raw)
  const email = svc.validEmail(b.email)
  const pkce = pkceParams(b, 'recovery')
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const user = await findUserByEmail(tx, email)
    if (!user) return json(200, {})
    await svc.sendTokenMail(tx, req, {
      user, kind: 'recovery', linkType: 'recovery', ott: 'recovery_token', to: email,
      sentAtColumn: 'recovery_sent_at', redirect, pkce,
    })
    return json(200, {})
  }) as Promise<Reply>
}

const ResendBody = z.looseObject({ email: z.string().nullish(), phone: z.string().nullish(), type: z.string().nullish(), ...Pkce })

export async function resend(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const b = parse(ResendBody, raw)
  if (b.type === 'sms' || b.type === 'phone_change') throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  if (b.type !== 'signup' && b.type !== 'email_change') {
    throw badRequest('validation_failed', 'Missing one of these types: signup, email_change, sms, phone_change')
  }
  const email = svc.validEmail(b.email)
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    if (b.type === 'signup') {
      const user = await findUserByEmail(tx, email)
      if (!user || user.email_confirmed_at) return json(200, {})
      await svc.sendTokenMail(tx, req, {
        user, kind: 'signup', linkType: 'signup', ott: 'confirmation_token', to: email,
        sentAtColumn: 'confirmation_sent_at', redirect, pkce: pkceParams(b, 'email/signup'),
      })
      return json(200, {})
    }
    const [user] = await tx<UserRow[]>`select * from auth.users where lower(email_change) = ${email} and deleted_at is null limit 1`
    if (!user) return json(200, {})
    await sendEmailChange(svc, tx, req, user, email, redirect, pkceParams(b, 'email_change'))
    return json(200, {})
  }) as Promise<Reply>
}

async function sendEmailChange(
  svc: AuthService, tx: Db, req: IncomingMessage, user: UserRow, newEmail: string, redirect: string,
  pkce: ReturnType<typeof pkceParams>,
): Promise<void> {
  await svc.sendTokenMail(tx, req, {
    user, kind: 'email_change_new', linkType: 'email_change', ott: 'email_change_token_new', to: newEmail,
    sentAtColumn: 'email_change_sent_at', redirect, pkce, newEmail,
  })
  if (svc.s.doubleConfirmChanges && user.email) {
    await svc.sendTokenMail(tx, req, {
      user, kind: 'email_change_current', linkType: 'email_change', ott: 'email_change_token_current', to: user.email,
      sentAtColumn: 'email_change_sent_at', redirect, pkce: null, newEmail, skipFrequency: true,
    })
  }
}

// ---------------------------------------------------------------- verify

const VERIFY_TYPES: Record<string, OttType[]> = {
  signup: ['confirmation_token'],
  invite: ['confirmation_token'],
  magiclink: ['recovery_token', 'confirmation_token'],
  recovery: ['recovery_token'],
  email: ['confirmation_token', 'recovery_token'],
  email_change: ['email_change_token_new', 'email_change_token_current'],
}

/** AMR method of a session obtained through an e-mailed link (GET /verify). */
const LINK_AMR: Record<string, string> = { signup: 'otp', invite: 'invite', magiclink: 'magiclink', recovery: 'recovery', email: 'otp', email_change: 'email_change' }

const VerifyBody = z.looseObject({
  type: z.string().nullish(),
  token: z.string().nullish(),
  token_hash: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  redirect_to: z.string().nullish(),
})

type Consumed =
  | { kind: 'user'; user: UserRow; pkce: boolean }
  | { kind: 'pending'; message: string }

/** Finds and spends a one-time token, applying what it confirms. */
async function consume(svc: AuthService, tx: Db, type: string, hashes: string[], email?: string): Promise<Consumed> {
  const types = VERIFY_TYPES[type] ?? []
  const ott = await findOneTimeToken(tx, hashes, types, svc.s.otpExpiry)
  if (!ott || ott.expired || (email && ott.relates_to !== email.toLowerCase())) {
    throw forbidden('otp_expired', 'Token has expired or is invalid')
  }
  const user = await findUserById(tx, ott.user_id)
  if (!user || user.deleted_at) throw forbidden('otp_expired', 'Token has expired or is invalid')
  if (isBanned(user)) throw forbidden('user_banned', 'User is banned')
  const pkce = ott.token_hash.startsWith('pkce_')
  await clearOneTimeToken(tx, user.id, ott.token_type)
  if (ott.token_type === 'confirmation_token' || ott.token_type === 'recovery_token') {
    await confirmEmail(tx, user.id)
    if (ott.token_type === 'recovery_token') await tx`update auth.users set recovery_token = '' where id = ${user.id}`
  } else {
    const [{ status }] = (await tx<{ status: number }[]>`
      update auth.users set email_change_confirm_status = coalesce(email_change_confirm_status, 0) + 1
      where id = ${user.id} returning email_change_confirm_status as status`) as unknown as [{ status: number }]
    const other: OttType = ott.token_type === 'email_change_token_new' ? 'email_change_token_current' : 'email_change_token_new'
    const [stillPending] = await tx`select 1 from auth.one_time_tokens where user_id = ${user.id} and token_type = ${other}`
    if (svc.s.doubleConfirmChanges && stillPending && status < 2) {
      return { kind: 'pending', message: 'Confirmation link accepted. Please proceed to confirm link sent to the other email' }
    }
    const newEmail = user.email_change!
    const [taken] = await tx`select 1 from auth.users where lower(email) = lower(${newEmail}) and id <> ${user.id}`
    if (taken) throw unprocessable('email_exists', 'A user with this email address has already been registered')
    await clearOneTimeToken(tx, user.id, other)
    await tx`
      update auth.users set email = ${newEmail}, email_change = '', email_change_confirm_status = 0,
        email_change_token_new = '', email_change_token_current = '', email_confirmed_at = coalesce(email_confirmed_at, now()),
        raw_user_meta_data = case when raw_user_meta_data ? 'email' then jsonb_set(raw_user_meta_data, '{email}', to_jsonb(${newEmail}::text)) else raw_user_meta_data end,
        updated_at = now()
      where id = ${user.id}`
    await tx`
      update auth.identities set identity_data = jsonb_set(identity_data, '{email}', to_jsonb(${newEmail}::text)), updated_at = now()
      where user_id = ${user.id} and provider = 'email'`
  }
  return { kind: 'user', user: (await findUserById(tx, user.id))!, pkce }
}

export async function verifyPost(svc: AuthService, req: IncomingMessage, _url: URL, raw: unknown): Promise<Reply> {
  const b = parse(VerifyBody, raw)
  const type = b.type ?? ''
  if (type === 'sms' || type === 'phone_change') throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  if (!VERIFY_TYPES[type]) throw badRequest('validation_failed', `Verify requires a verification type`)
  let hashes: string[]
  let email: string | undefined
  if (b.token_hash) hashes = [b.token_hash]
  else if (b.token && b.email) {
    email = svc.validEmail(b.email)
    const h = tokenHash(email, b.token.trim())
    hashes = [h, `pkce_${h}`]
  } else throw badRequest('validation_failed', 'Verify requires either a token or a token hash')
  const out = await svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const c = await consume(svc, tx, type, hashes, email)
    if (c.kind === 'pending') return json(200, { msg: c.message, code: 200 })
    return json(200, await svc.issue(tx, c.user.id, 'otp', req))
  })
  return out as Reply
}

function withParams(base: string, params: Record<string, string>, where: 'query' | 'fragment'): string {
  const q = new URLSearchParams(params).toString()
  if (where === 'fragment') return `${base.split('#')[0]}#${q}`
  const [path = '', frag] = base.split('#')
  return `${path}${path.includes('?') ? '&' : '?'}${q}${frag !== undefined ? `#${frag}` : ''}`
}

export async function verifyGet(svc: AuthService, req: IncomingMessage, url: URL): Promise<Reply> {
  const tokenParam = url.searchParams.get('token') ?? ''
  const type = url.searchParams.get('type') ?? ''
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  const pkceLink = tokenParam.startsWith('pkce_')
  const fail = (e: AuthError): Reply => {
    const description = e.code === 'otp_expired' ? 'Email link is invalid or has expired' : e.message
    const err = { error: e.status >= 500 ? 'server_error' : 'access_denied', error_code: e.code, error_description: description }
    let to = withParams(redirect, { ...err, sb: '' }, 'fragment')
    if (pkceLink) to = withParams(withParams(redirect, err, 'query'), { ...err, sb: '' }, 'fragment')
    return { redirect: to }
  }
  if (!VERIFY_TYPES[type] || !tokenParam) {
    return fail(badRequest('validation_failed', 'Verify requires a verification type'))
  }
  try {
    return (await svc.db.begin(async (tx0) => {
      const tx = tx0 as unknown as Db
      const c = await consume(svc, tx, type, [tokenParam])
      if (c.kind === 'pending') return { redirect: withParams(redirect, { message: c.message, sb: '' }, 'fragment') }
      if (c.pkce) {
        const [flow] = await tx<{ id: string; auth_code: string }[]>`
          update auth.flow_state set auth_code_issued_at = now(), updated_at = now()
          where id = (select id from auth.flow_state where user_id = ${c.user.id} and auth_code_issued_at is null
                      order by created_at desc limit 1)
          returning id, auth_code`
        if (!flow) throw notFound('flow_state_not_found', 'invalid flow state, no valid flow state found')
        return { redirect: withParams(redirect, { code: flow.auth_code }, 'query') }
      }
      const s = await svc.issue(tx, c.user.id, LINK_AMR[type] ?? 'otp', req)
      return {
        redirect: withParams(redirect, {
          access_token: s.access_token, expires_at: String(s.expires_at), expires_in: String(s.expires_in),
          refresh_token: s.refresh_token, token_type: 'bearer', type, sb: '',
        }, 'fragment'),
      }
    })) as Reply
  } catch (e) {
    if (e instanceof AuthError) return fail(e)
    throw e
  }
}

// ---------------------------------------------------------------- user, logout

export async function getUser(svc: AuthService, req: IncomingMessage): Promise<Reply> {
  const { user } = await svc.requireUser(req)
  return json(200, await renderUser(svc.db, user))
}

const UpdateBody = z.looseObject({
  email: z.string().nullish(),
  password: z.string().nullish(),
  nonce: z.string().nullish(),
  data: Meta.nullish(),
  phone: z.string().nullish(),
  ...Pkce,
})

/** GoTrue's metadata merge: keys set to null are removed. */
export function mergeMeta(base: Record<string, unknown> | null, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...(base ?? {}) }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = v
  }
  return out
}

export async function updateUser(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  const caller = await svc.requireUser(req)
  const b = parse(UpdateBody, raw)
  if (b.phone) throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  const newHash = b.password ? await svc.hashPassword(b.password) : undefined
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    let user = (await findUserById(tx, caller.user.id))!
    if (b.password) {
      svc.assertStrongPassword(b.password)
      if (await svc.checkPassword(b.password, user.encrypted_password)) {
        throw unprocessable('same_password', 'New password should be different from the old password.')
      }
      await tx`update auth.users set encrypted_password = ${newHash!}, updated_at = now() where id = ${user.id}`
      // Other sessions end when the password changes.
      if (caller.sessionId) await tx`delete from auth.sessions where user_id = ${user.id} and id <> ${caller.sessionId}`
      await clearOneTimeToken(tx, user.id, 'recovery_token')
    }
    if (b.data) {
      const meta = mergeMeta(user.raw_user_meta_data, b.data)
      await tx`update auth.users set raw_user_meta_data = ${tx.json(meta as never)}, updated_at = now() where id = ${user.id}`
    }
    if (b.email) {
      const email = svc.validEmail(b.email)
      if (email !== (user.email ?? '').toLowerCase()) {
        const [taken] = await tx`select 1 from auth.users where lower(email) = ${email} and id <> ${user.id}`
        if (taken) throw unprocessable('email_exists', 'A user with this email address has already been registered')
        if (!svc.s.enableConfirmations) {
          await tx`update auth.users set email = ${email}, updated_at = now() where id = ${user.id}`
          await tx`
            update auth.identities set identity_data = jsonb_set(identity_data, '{email}', to_jsonb(${email}::text)), updated_at = now()
            where user_id = ${user.id} and provider = 'email'`
        } else {
          user = (await findUserById(tx, user.id))!
          await tx`update auth.users set email_change = ${email}, email_change_confirm_status = 0 where id = ${user.id}`
          await sendEmailChange(svc, tx, req, user, email, redirect, pkceParams(b, 'email_change'))
        }
      }
    }
    return json(200, await renderUser(tx, (await findUserById(tx, user.id))!))
  }) as Promise<Reply>
}

export async function logout(svc: AuthService, req: IncomingMessage, url: URL): Promise<Reply> {
  const scope = url.searchParams.get('scope') ?? 'global'
  if (!['global', 'local', 'others'].includes(scope)) {
    throw badRequest('validation_failed', `Unsupported logout scope "${scope}"`)
  }
  const { user, sessionId } = await svc.requireUser(req)
  if (scope === 'global' || !sessionId) await svc.db`delete from auth.sessions where user_id = ${user.id}`
  else if (scope === 'local') await svc.db`delete from auth.sessions where id = ${sessionId}`
  else await svc.db`delete from auth.sessions where user_id = ${user.id} and id <> ${sessionId}`
  return json(204)
}
