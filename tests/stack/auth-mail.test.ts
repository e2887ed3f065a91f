/**
 * Auth flows that go through an e-mail (config.toml: confirmations on):
 * sign-up confirmation, OTP and magic link, PKCE, recovery, e-mail change,
 * invite, expiry, single use and the e-mail rate limits (contract cases 62,
 * 72, 74, 77). E-mails are read from the mail catcher (tests/helpers/mail.ts).
 */
import { createHash, randomBytes } from 'node:crypto'
import type postgres from 'postgres'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { latestMail, linkAndCode, mailReady, messagesTo } from '../helpers/mail.ts'
import { adminSql, client, env } from '../helpers/stack.ts'
import { authFetch, claims, confirmedUser, email, PASSWORD } from './auth-fixture.ts'

const REDIRECT = 'http://localhost:3000/auth/callback'
let sql: postgres.Sql

beforeAll(async () => {
  sql = adminSql()
  await mailReady()
})
afterAll(async () => {
  await sql.end()
})

/** A supabase-js client in PKCE flow with an in-memory storage (as @supabase/ssr). */
function pkceClient() {
  const store = new Map<string, string>()
  return createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
    auth: {
      flowType: 'pkce', persistSession: true, autoRefreshToken: false, detectSessionInUrl: false,
      storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: (k) => void store.delete(k) },
    },
    realtime: { transport: WebSocket as never },
  })
}

/** Follows an e-mailed /verify link and returns where it redirects to. */
async function follow(link: string): Promise<URL> {
  const r = await fetch(link, { redirect: 'manual' })
  expect(r.status).toBe(303)
  return new URL(r.headers.get('location')!)
}

const fragment = (u: URL) => new URLSearchParams(u.hash.slice(1))

describe('sign-up with e-mail confirmation', () => {
  it('returns a user without a session and sends a French confirmation e-mail', async () => {
    const address = email('signup')
    const { data, error } = await client().auth.signUp({ email: address, password: PASSWORD, options: { data: { full_name: 'Léa Martin' }, emailRedirectTo: REDIRECT } })
    expect(error).toBeNull()
    expect(data.session).toBeNull()
    expect(data.user).toMatchObject({ email: address, user_metadata: { full_name: 'Léa Martin' } })
    expect(data.user!.confirmation_sent_at).toBeTruthy()
    expect(data.user!.email_confirmed_at).toBeUndefined()
    const mail = await latestMail(address)
    expect(mail.subject).toBe('Confirmez votre adresse e-mail')
    expect(mail.html).toContain('<a href=')
    const { link, code } = linkAndCode(mail)
    expect(code).toMatch(/^\d{6}$/)
    const u = new URL(link)
    expect(u.origin + u.pathname).toBe(`${env('SUPABASE_URL')}/auth/v1/verify`)
    expect(u.searchParams.get('type')).toBe('signup')
    expect(u.searchParams.get('redirect_to')).toBe(REDIRECT)
    const [ott] = await sql`select token_type, relates_to, token_hash from auth.one_time_tokens where user_id = ${data.user!.id}`
    expect(ott).toEqual({ token_type: 'confirmation_token', relates_to: address, token_hash: u.searchParams.get('token') })
    // Signing in before confirming is refused.
    const early = await client().auth.signInWithPassword({ email: address, password: PASSWORD })
    expect(early.error?.code).toBe('email_not_confirmed')
  })

  it('confirms through the link: 303 to redirect_to with the session in the fragment', async () => {
    const address = email('confirm')
    await client().auth.signUp({ email: address, password: PASSWORD, options: { emailRedirectTo: REDIRECT } })
    const { link } = linkAndCode(await latestMail(address))
    const to = await follow(link)
    expect(to.origin + to.pathname).toBe(REDIRECT)
    const f = fragment(to)
    expect(f.get('token_type')).toBe('bearer')
    expect(f.get('type')).toBe('signup')
    expect(f.get('expires_in')).toBe('3600')
    expect(claims(f.get('access_token')!).email).toBe(address)
    const [u] = await sql`select email_confirmed_at from auth.users where email = ${address}`
    expect(u!.email_confirmed_at).toBeInstanceOf(Date)
    // The link works once.
    const again = await follow(link)
    expect(fragment(again).get('error_code')).toBe('otp_expired')
    expect(fragment(again).get('error')).toBe('access_denied')
    expect(fragment(again).get('error_description')).toBe('Email link is invalid or has expired')
    expect((await client().auth.signInWithPassword({ email: address, password: PASSWORD })).error).toBeNull()
  })

  it('an unknown redirect_to falls back to site_url', async () => {
    const address = email('badredirect')
    await client().auth.signUp({ email: address, password: PASSWORD, options: { emailRedirectTo: 'https://evil.example.net/x' } })
    const { link } = linkAndCode(await latestMail(address))
    expect(new URL(link).searchParams.get('redirect_to')).toBe('http://localhost:3000')
  })

  it('a confirmed address signing up again gets an obfuscated user and no e-mail', async () => {
    const u = await confirmedUser('dup')
    const { data, error } = await client().auth.signUp({ email: u.email, password: PASSWORD })
    expect(error).toBeNull()
    expect(data.user!.identities).toEqual([])
    expect(data.user!.id).not.toBe(u.id)
    expect(await messagesTo(u.email)).toHaveLength(0)
  })

  it('rejects weak passwords with reasons, bad addresses and missing passwords', async () => {
    const short = await client().auth.signUp({ email: email('weak'), password: 'abc' })
    expect(short.error?.name).toBe('AuthWeakPasswordError')
    expect(short.error).toMatchObject({ status: 422, code: 'weak_password' })
    expect((short.error as unknown as { reasons: string[] }).reasons).toEqual(['length', 'characters'])
    const chars = await client().auth.signUp({ email: email('weak'), password: 'alllowercase1234' })
    expect((chars.error as unknown as { reasons: string[] }).reasons).toEqual(['characters'])
    const bad = await client().auth.signUp({ email: 'not-an-email', password: PASSWORD })
    expect(bad.error).toMatchObject({ status: 400, code: 'validation_failed', message: 'Unable to validate email address: invalid format' })
    const r = await authFetch('/signup', { method: 'POST', body: JSON.stringify({ email: email('nopw') }) })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({ code: 'validation_failed', message: 'Signup requires a valid password' })
  })

  it('PKCE sign-up: the link redirects with ?code= and exchangeCodeForSession signs in', async () => {
    const address = email('pkcesignup')
    const c = pkceClient()
    await c.auth.signUp({ email: address, password: PASSWORD, options: { emailRedirectTo: REDIRECT } })
    const { link } = linkAndCode(await latestMail(address))
    expect(new URL(link).searchParams.get('token')).toMatch(/^pkce_/)
    const to = await follow(link)
    const code = to.searchParams.get('code')!
    expect(code).toMatch(/^[0-9a-f-]{36}$/)
    const { data, error } = await c.auth.exchangeCodeForSession(code)
    expect(error).toBeNull()
    expect(data.user!.email).toBe(address)
    expect(data.user!.email_confirmed_at).toBeTruthy()
    // The code works once.
    const again = await pkceClient().auth.exchangeCodeForSession(code)
    expect(again.error).toBeTruthy()
  })
})

describe('OTP and magic link', () => {
  it('signInWithOtp sends a link and a code; verifyOtp with the code signs in, once', async () => {
    const u = await confirmedUser('otp')
    const { data, error } = await client().auth.signInWithOtp({ email: u.email })
    expect(error).toBeNull()
    expect(data).toEqual({ user: null, session: null })
    const mail = await latestMail(u.email)
    expect(mail.subject).toBe('Votre lien de connexion')
    const { code, link } = linkAndCode(mail)
    expect(new URL(link).searchParams.get('type')).toBe('magiclink')
    const v = await client().auth.verifyOtp({ email: u.email, token: code, type: 'email' })
    expect(v.error).toBeNull()
    expect(v.data.session!.user.id).toBe(u.id)
    expect(claims(v.data.session!.access_token).amr).toEqual([{ method: 'otp', timestamp: expect.any(Number) }])
    const twice = await client().auth.verifyOtp({ email: u.email, token: code, type: 'email' })
    expect(twice.error).toMatchObject({ status: 403, code: 'otp_expired', message: 'Token has expired or is invalid' })
  })

  it('the magic link signs in through GET /verify (implicit flow)', async () => {
    const u = await confirmedUser('magic')
    await client().auth.signInWithOtp({ email: u.email, options: { emailRedirectTo: REDIRECT } })
    const { link } = linkAndCode(await latestMail(u.email))
    const to = await follow(link)
    const f = fragment(to)
    expect(f.get('type')).toBe('magiclink')
    expect(claims(f.get('access_token')!).sub).toBe(u.id)
    expect(claims(f.get('access_token')!).amr).toEqual([{ method: 'magiclink', timestamp: expect.any(Number) }])
    const session = await client().auth.setSession({ access_token: f.get('access_token')!, refresh_token: f.get('refresh_token')! })
    expect(session.error).toBeNull()
  })

  it('a link older than otp_expiry (10 min) is refused', async () => {
    const u = await confirmedUser('expiry')
    await client().auth.signInWithOtp({ email: u.email, options: { emailRedirectTo: REDIRECT } })
    const { link, code } = linkAndCode(await latestMail(u.email))
    await sql`update auth.one_time_tokens set created_at = created_at - interval '11 minutes' where user_id = ${u.id}`
    const to = await follow(link)
    expect(fragment(to).get('error_code')).toBe('otp_expired')
    const v = await client().auth.verifyOtp({ email: u.email, token: code, type: 'email' })
    expect(v.error?.code).toBe('otp_expired')
  })

  it('a wrong code is refused', async () => {
    const u = await confirmedUser('wrongcode')
    await client().auth.signInWithOtp({ email: u.email })
    const { code } = linkAndCode(await latestMail(u.email))
    const wrong = code === '000000' ? '111111' : '000000'
    const v = await client().auth.verifyOtp({ email: u.email, token: wrong, type: 'email' })
    expect(v.error).toMatchObject({ status: 403, code: 'otp_expired' })
  })

  it('creates the user on first OTP unless shouldCreateUser is false', async () => {
    const address = email('otpnew')
    const refused = await client().auth.signInWithOtp({ email: address, options: { shouldCreateUser: false } })
    expect(refused.error).toMatchObject({ status: 422, code: 'otp_disabled' })
    const ok = await client().auth.signInWithOtp({ email: address, options: { data: { full_name: 'Nouveau' } } })
    expect(ok.error).toBeNull()
    const { code } = linkAndCode(await latestMail(address))
    const v = await client().auth.verifyOtp({ email: address, token: code, type: 'email' })
    expect(v.error).toBeNull()
    expect(v.data.user!.user_metadata.full_name).toBe('Nouveau')
    expect(v.data.user!.email_confirmed_at).toBeTruthy()
  })

  it('PKCE magic link: 303 to R?code=, exchangeCodeForSession, flow_state row consumed', async () => {
    const u = await confirmedUser('pkcemagic')
    const c = pkceClient()
    const { error } = await c.auth.signInWithOtp({ email: u.email, options: { emailRedirectTo: REDIRECT } })
    expect(error).toBeNull()
    const [flow] = await sql`select code_challenge_method, authentication_method, provider_type from auth.flow_state where user_id = ${u.id}`
    expect(flow).toEqual({ code_challenge_method: 's256', authentication_method: 'magiclink', provider_type: 'email' })
    const to = await follow(linkAndCode(await latestMail(u.email)).link)
    expect(to.origin + to.pathname).toBe(REDIRECT)
    const { data, error: e2 } = await c.auth.exchangeCodeForSession(to.searchParams.get('code')!)
    expect(e2).toBeNull()
    expect(data.session!.user.id).toBe(u.id)
    expect(await sql`select 1 from auth.flow_state where user_id = ${u.id}`).toHaveLength(0)
  })

  it('PKCE token errors: empty, unknown code, wrong verifier, plain method', async () => {
    const empty = await authFetch('/token?grant_type=pkce', { method: 'POST', body: JSON.stringify({ auth_code: '', code_verifier: '' }) })
    expect(empty.status).toBe(400)
    expect((await empty.json()).code).toBe('validation_failed')
    const unknown = await authFetch('/token?grant_type=pkce', { method: 'POST', body: JSON.stringify({ auth_code: crypto.randomUUID(), code_verifier: 'x'.repeat(50) }) })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).code).toBe('flow_state_not_found')
    // A raw PKCE magic link with the plain method, then a wrong and a right verifier.
    const u = await confirmedUser('pkceplain')
    const verifier = randomBytes(40).toString('hex')
    const r = await authFetch(`/otp?redirect_to=${encodeURIComponent(REDIRECT)}`, {
      method: 'POST', body: JSON.stringify({ email: u.email, code_challenge: verifier, code_challenge_method: 'plain' }),
    })
    expect(r.status).toBe(200)
    const to = await follow(linkAndCode(await latestMail(u.email)).link)
    const code = to.searchParams.get('code')!
    const bad = await authFetch('/token?grant_type=pkce', { method: 'POST', body: JSON.stringify({ auth_code: code, code_verifier: 'y'.repeat(80) }) })
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('bad_code_verifier')
    const good = await authFetch('/token?grant_type=pkce', { method: 'POST', body: JSON.stringify({ auth_code: code, code_verifier: verifier }) })
    expect(good.status).toBe(200)
    expect((await good.json()).user.id).toBe(u.id)
    // S256 challenge as GoTrue computes it.
    expect(createHash('sha256').update(verifier).digest('base64url')).toHaveLength(43)
  })
})

describe('password recovery', () => {
  it('resetPasswordForEmail → link → PASSWORD_RECOVERY → updateUser({password})', async () => {
    const u = await confirmedUser('recover')
    const { data, error } = await client().auth.resetPasswordForEmail(u.email, { redirectTo: REDIRECT })
    expect(error).toBeNull()
    expect(data).toEqual({})
    const mail = await latestMail(u.email)
    expect(mail.subject).toBe('Réinitialisez votre mot de passe')
    const link = new URL(linkAndCode(mail).link)
    expect(link.searchParams.get('type')).toBe('recovery')
    const c = client('anon', { persist: true })
    const events: string[] = []
    c.auth.onAuthStateChange((e) => void events.push(e))
    const v = await c.auth.verifyOtp({ token_hash: link.searchParams.get('token')!, type: 'recovery' })
    expect(v.error).toBeNull()
    expect(events).toContain('PASSWORD_RECOVERY')
    const up = await c.auth.updateUser({ password: 'Recupere2026ok' })
    expect(up.error).toBeNull()
    expect((await client().auth.signInWithPassword({ email: u.email, password: 'Recupere2026ok' })).error).toBeNull()
  })

  it('answers {} for an unknown address and sends nothing', async () => {
    const address = email('ghost')
    const { error } = await client().auth.resetPasswordForEmail(address)
    expect(error).toBeNull()
    expect(await messagesTo(address)).toHaveLength(0)
  })
})

describe('e-mail rate limits', () => {
  it('max_frequency: a second e-mail of the same kind within 60 s is refused', async () => {
    const u = await confirmedUser('freq')
    expect((await client().auth.signInWithOtp({ email: u.email })).error).toBeNull()
    const again = await client().auth.signInWithOtp({ email: u.email })
    expect(again.error).toMatchObject({ status: 429, code: 'over_email_send_rate_limit' })
    expect(again.error!.message).toMatch(/^For security purposes, you can only request this after \d+ seconds\.$/)
  })

  it('at most 5 e-mails per address per hour', async () => {
    const u = await confirmedUser('hourly')
    for (let i = 0; i < 5; i++) {
      expect((await client().auth.signInWithOtp({ email: u.email })).error).toBeNull()
      await sql`update auth.users set recovery_sent_at = now() - interval '2 minutes' where id = ${u.id}`
    }
    const sixth = await client().auth.signInWithOtp({ email: u.email })
    expect(sixth.error).toMatchObject({ status: 429, code: 'over_email_send_rate_limit', message: 'Email rate limit exceeded' })
    expect(await messagesTo(u.email)).toHaveLength(5)
  })
})

describe('e-mail change (double confirmation)', () => {
  it('sends to both addresses; both links are needed; the e-mail changes', async () => {
    const u = await confirmedUser('change')
    const c = client('anon', { persist: true })
    await c.auth.signInWithPassword({ email: u.email, password: PASSWORD })
    const next = email('changed')
    const { data, error } = await c.auth.updateUser({ email: next }, { emailRedirectTo: REDIRECT })
    expect(error).toBeNull()
    expect(data.user!.new_email).toBe(next)
    expect(data.user!.email).toBe(u.email)
    const toNew = await latestMail(next)
    const toOld = await latestMail(u.email)
    expect(toNew.subject).toBe('Confirmez votre nouvelle adresse e-mail')
    expect(toOld.subject).toBe("Confirmez le changement d'adresse e-mail")
    const first = await follow(linkAndCode(toOld).link)
    expect(fragment(first).get('message')).toMatch(/^Confirmation link accepted/)
    const [mid] = await sql`select email from auth.users where id = ${u.id}`
    expect(mid!.email).toBe(u.email)
    const second = await follow(linkAndCode(toNew).link)
    expect(fragment(second).get('type')).toBe('email_change')
    const [after] = await sql`select email, email_change from auth.users where id = ${u.id}`
    expect(after).toEqual({ email: next, email_change: '' })
    expect((await client().auth.signInWithPassword({ email: next, password: PASSWORD })).error).toBeNull()
  })
})

describe('invite', () => {
  it('inviteUserByEmail sends a French invitation; accepting it signs in', async () => {
    const address = email('invite')
    const { data, error } = await client('service').auth.admin.inviteUserByEmail(address, { data: { role: 'agent' }, redirectTo: REDIRECT })
    expect(error).toBeNull()
    expect(data.user!.invited_at).toBeTruthy()
    const mail = await latestMail(address)
    expect(mail.subject).toBe('Vous êtes invité(e) sur immo-ai')
    const to = await follow(linkAndCode(mail).link)
    expect(fragment(to).get('type')).toBe('invite')
    expect(claims(fragment(to).get('access_token')!).email).toBe(address)
    const again = await client('service').auth.admin.inviteUserByEmail(address)
    expect(again.error).toMatchObject({ status: 422, code: 'email_exists' })
  })

  it('is refused to the anon key', async () => {
    const { error } = await client().auth.admin.inviteUserByEmail(email('noinvite'))
    expect(error).toMatchObject({ status: 403, code: 'not_admin' })
  })

  it('writes English e-mails when the user asks for it', async () => {
    const address = email('english')
    await client('service').auth.admin.inviteUserByEmail(address, { data: { locale: 'en-GB' } })
    expect((await latestMail(address)).subject).toBe('You have been invited to immo-ai')
  })
})
