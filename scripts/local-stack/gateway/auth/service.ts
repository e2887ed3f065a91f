/**
 * What the auth handlers share: settings, the JWT signer, caller resolution
 * (user token or admin token), password policy, redirect validation, e-mail
 * sending with its rate limits, and session issuing.
 */
import type { IncomingMessage } from 'node:http'
import bcrypt from 'bcryptjs'
import { errors as joseErrors } from 'jose'
import type { GatewayContext } from '../context.ts'
import { bearer } from '../http.ts'
import type { AuthSettings } from './config.ts'
import { AuthError, badRequest, forbidden, internal, tooMany, unprocessable } from './errors.ts'
import { SlidingWindow } from './limits.ts'
import { createMailer, localeOf, type MailKind, type Mailer } from './mail.ts'
import {
  clientIp, createFlowState, createSession, findUserById, isUuid, newOtp, putOneTimeToken, sessionExists,
  sessionResponse, tokenHash, type Db, type OttType, type UserRow,
} from './store.ts'

export const ADMIN_ROLES = new Set(['service_role', 'supabase_admin'])

/** GoTrue's e-mail format check (RFC 5322 subset, hostname labels). */
const EMAIL_RE = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

const CHARSETS: Record<string, string[]> = {
  '': [],
  letters_digits: ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits: ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits_symbols: [
    'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~",
  ],
}

export interface Caller {
  user: UserRow
  sessionId: string | null
  claims: Record<string, unknown>
}

export interface AuthService {
  ctx: GatewayContext
  db: Db
  s: AuthSettings
  issuer: string
  mailer: Mailer
  validEmail(email: unknown): string
  passwordProblems(pw: string): { message: string; reasons: string[] } | null
  assertStrongPassword(pw: string): void
  hashPassword(pw: string): Promise<string>
  checkPassword(pw: string, hash: string | null): Promise<boolean>
  resolveRedirect(raw: string | null | undefined): string
  verifyToken(req: IncomingMessage): Promise<Record<string, unknown>>
  requireUser(req: IncomingMessage): Promise<Caller>
  requireAdmin(req: IncomingMessage): Promise<Record<string, unknown>>
  issue(db: Db, userId: string, method: string, req: IncomingMessage): ReturnType<typeof sessionResponse>
  respondSession(db: Db, userId: string, grant: { sessionId: string; refreshToken: string }): ReturnType<typeof sessionResponse>
  /** Creates the one-time token (and PKCE flow state) and e-mails the link; enforces max_frequency and rate limits. */
  sendTokenMail(db: Db, req: IncomingMessage, p: TokenMail): Promise<void>
  /** Generates a token without sending anything (admin generate_link). */
  makeToken(db: Db, p: { user: UserRow; ott: OttType; relatesTo: string }): Promise<{ otp: string; hash: string }>
  verifyLink(hash: string, type: string, redirect: string): string
}

export interface TokenMail {
  user: UserRow
  kind: MailKind
  /** The `type` the link carries to /verify. */
  linkType: string
  ott: OttType
  /** The address the token relates to and the mail goes to. */
  to: string
  /** The user column recording when this kind of mail was last sent (GoTrue's max_frequency). */
  sentAtColumn: 'confirmation_sent_at' | 'recovery_sent_at' | 'email_change_sent_at'
  redirect: string
  pkce?: { challenge: string; method: string; authMethod: string } | null
  newEmail?: string
  /** Skip max_frequency (second mail of an e-mail change pair). */
  skipFrequency?: boolean
}

const JWT_REASON: Record<string, string> = {
  ERR_JWT_EXPIRED: 'token has invalid claims: token is expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'token has invalid claims',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token is unverifiable: signing method is invalid',
  ERR_JOSE_NOT_SUPPORTED: 'token is unverifiable: signing method is invalid',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'token signature is invalid: signature is invalid',
  ERR_JWS_INVALID: 'token is malformed: could not parse the token',
  ERR_JWT_INVALID: 'token is malformed: could not parse the token',
}

/** Glob of additional_redirect_urls: `*` stops at `.` and `/`, `**` does not. */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*'
      i++
    } else if (c === '*') re += '[^./]*'
    else if (c === '?') re += '[^./]'
    else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

export function createService(ctx: GatewayContext, s: AuthSettings): AuthService {
  const db = ctx.authDb
  const issuer = `${ctx.cfg.apiUrl}/auth/v1`
  const mailer = createMailer(ctx.cfg.ports.smtp)
  const perAddress = new SlidingWindow(s.emailsPerAddressPerHour, 3600_000)
  const perIp = new SlidingWindow(s.emailsPerIpPerHour, 3600_000)
  const allow = s.additionalRedirectUrls.map(globToRegExp)
  const signer = { secret: ctx.jwtSecret, issuer, expiry: s.jwtExpiry }

  const svc: AuthService = {
    ctx,
    db,
    s,
    issuer,
    mailer,
    validEmail(email) {
      if (typeof email !== 'string' || email.length > 255 || !EMAIL_RE.test(email)) {
        throw badRequest('validation_failed', 'Unable to validate email address: invalid format')
      }
      return email.toLowerCase()
    },
    passwordProblems(pw) {
      const reasons: string[] = []
      const messages: string[] = []
      if ([...pw].length < s.minimumPasswordLength) {
        reasons.push('length')
        messages.push(`Password should be at least ${s.minimumPasswordLength} characters.`)
      }
      const sets = CHARSETS[s.passwordRequirements] ?? []
      if (sets.some((set) => ![...pw].some((ch) => set.includes(ch)))) {
        reasons.push('characters')
        messages.push(`Password should contain at least one character of each: ${sets.join(', ')}.`)
      }
      return reasons.length ? { message: messages.join(' '), reasons } : null
    },
    assertStrongPassword(pw) {
      if (Buffer.byteLength(pw) > 72) throw unprocessable('validation_failed', 'Password cannot be longer than 72 characters')
      const p = svc.passwordProblems(pw)
      if (p) throw unprocessable('weak_password', p.message, { weak_password: { reasons: p.reasons } })
    },
    hashPassword: (pw) => bcrypt.hash(pw, 10),
    async checkPassword(pw, hash) {
      if (!hash || !hash.startsWith('$2')) return false
      return bcrypt.compare(pw, hash)
    },
    resolveRedirect(raw) {
      if (!raw) return s.siteUrl
      let u: URL
      try {
        u = new URL(raw)
      } catch {
        return s.siteUrl
      }
      if (u.hostname === new URL(s.siteUrl).hostname) return raw
      // The glob is matched without a query string or fragment, as GoTrue does.
      const bare = raw.split('#')[0]!.split('?')[0]!
      return allow.some((re) => re.test(raw) || re.test(bare)) ? raw : s.siteUrl
    },
    async verifyToken(req) {
      const token = bearer(req)
      if (!token) throw new AuthError(401, 'no_authorization', 'This endpoint requires a valid Bearer token')
      try {
        return (await ctx.verifyJwt(token)) as Record<string, unknown>
      } catch (e) {
        const code = (e as { code?: string }).code ?? ''
        const reason = JWT_REASON[code] ?? (e instanceof joseErrors.JOSEError ? 'token is malformed' : String(e))
        throw forbidden('bad_jwt', `invalid JWT: unable to parse or verify signature, ${reason}`)
      }
    },
    async requireUser(req) {
      const claims = await svc.verifyToken(req)
      const sub = claims.sub
      if (typeof sub !== 'string' || !isUuid(sub)) throw forbidden('bad_jwt', 'invalid claim: missing sub claim')
      const sessionId = typeof claims.session_id === 'string' ? claims.session_id : null
      if (sessionId && !(await sessionExists(db, sessionId))) {
        throw forbidden('session_not_found', 'Session from session_id claim in JWT does not exist')
      }
      const user = await findUserById(db, sub)
      if (!user || user.deleted_at) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist')
      return { user, sessionId, claims }
    },
    async requireAdmin(req) {
      const claims = await svc.verifyToken(req)
      if (typeof claims.role !== 'string' || !ADMIN_ROLES.has(claims.role)) throw forbidden('not_admin', 'User not allowed')
      return claims
    },
    async issue(tx, userId, method, req) {
      const grant = await createSession(tx, userId, method, req)
      return sessionResponse(tx, signer, userId, grant)
    },
    respondSession: (tx, userId, grant) => sessionResponse(tx, signer, userId, grant),
    verifyLink(hash, type, redirect) {
      const q = new URLSearchParams({ token: hash, type, redirect_to: redirect })
      return `${issuer}/verify?${q.toString()}`
    },
    async makeToken(tx, p) {
      const otp = newOtp(s.otpLength)
      const hash = tokenHash(p.relatesTo, otp)
      await putOneTimeToken(tx, p.user.id, p.ott, hash, p.relatesTo)
      return { otp, hash }
    },
    async sendTokenMail(tx, req, p) {
      const last = p.user[p.sentAtColumn]
      if (!p.skipFrequency && last && s.maxFrequency > 0) {
        const wait = Math.ceil(s.maxFrequency - (Date.now() - last.getTime()) / 1000)
        if (wait > 0) throw tooMany('over_email_send_rate_limit', `For security purposes, you can only request this after ${wait} seconds.`)
      }
      const ip = clientIp(req) ?? 'unknown'
      const byIp = perIp.take(ip)
      if (!byIp.ok) throw tooMany('over_email_send_rate_limit', 'Email rate limit exceeded')
      const byAddr = perAddress.take(p.to.toLowerCase())
      if (!byAddr.ok) throw tooMany('over_email_send_rate_limit', 'Email rate limit exceeded')
      const otp = newOtp(s.otpLength)
      let hash = tokenHash(p.to, otp)
      if (p.pkce) {
        hash = `pkce_${hash}`
        await createFlowState(tx, {
          userId: p.user.id, challenge: p.pkce.challenge, method: p.pkce.method, providerType: 'email', authMethod: p.pkce.authMethod,
        })
      }
      await putOneTimeToken(tx, p.user.id, p.ott, hash, p.to)
      await tx`update auth.users set ${tx(p.sentAtColumn)} = now(), updated_at = now() where id = ${p.user.id}`
      try {
        await mailer.send({
          kind: p.kind, to: p.to, link: svc.verifyLink(hash, p.linkType, p.redirect), otp,
          locale: localeOf(p.user.raw_user_meta_data), newEmail: p.newEmail,
        })
      } catch (e) {
        ctx.log({ level: 'error', service: 'auth', message: 'smtp send failed', error: String(e) })
        const what: Record<MailKind, string> = {
          signup: 'confirmation', magiclink: 'magic link', recovery: 'recovery', invite: 'invite',
          email_change_current: 'email change', email_change_new: 'email change',
        }
        throw internal(`Error sending ${what[p.kind]} email`)
      }
    },
  }
  return svc
}

/** Validates the PKCE parameters of a request; null in implicit flow. */
export function pkceParams(body: { code_challenge?: unknown; code_challenge_method?: unknown }, authMethod: string) {
  const challenge = body.code_challenge
  const method = body.code_challenge_method
  if ((challenge === undefined || challenge === null || challenge === '') && (method === undefined || method === null || method === '')) return null
  if (typeof challenge !== 'string' || challenge === '' || typeof method !== 'string' || method === '') {
    throw badRequest('validation_failed', 'PKCE flow requires code_challenge_method and code_challenge')
  }
  const m = method.toLowerCase()
  if (m !== 's256' && m !== 'plain') throw badRequest('validation_failed', `code challenge method not supported: ${method}`)
  if (challenge.length < 43 || challenge.length > 128) throw badRequest('validation_failed', 'code challenge has to be between 43 and 128 characters')
  return { challenge, method: m, authMethod }
}
