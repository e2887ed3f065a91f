/**
 * Auth (/auth/v1) with the real supabase-js: password sign-in, JWT claims,
 * refresh rotation and reuse detection, sign-out scopes, updateUser, and the
 * token checks of /user (supabase-contract.md §2, cases 62–71).
 */
import { SignJWT } from 'jose'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminSql, client, env } from '../helpers/stack.ts'
import { authFetch, claims, confirmedUser, email, PASSWORD, signedIn } from './auth-fixture.ts'

let sql: postgres.Sql
beforeAll(() => {
  sql = adminSql()
})
afterAll(async () => {
  await sql.end()
})

describe('password sign-in', () => {
  it('signs in and issues a JWT with the claims of §2.4', async () => {
    const { c, session, id, email: address } = await signedIn('claims')
    const cl = claims(session.access_token)
    expect(Object.keys(cl).sort()).toEqual(
      ['aal', 'amr', 'app_metadata', 'aud', 'email', 'exp', 'iat', 'is_anonymous', 'iss', 'phone', 'role', 'session_id', 'sub', 'user_metadata'].sort(),
    )
    expect(cl).toMatchObject({
      aud: 'authenticated', sub: id, email: address, phone: '', role: 'authenticated', aal: 'aal1', is_anonymous: false,
      iss: `${env('SUPABASE_URL')}/auth/v1`, app_metadata: { provider: 'email', providers: ['email'] },
    })
    expect(cl.exp).toBe((cl.iat as number) + 3600)
    expect(cl.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }])
    expect(session.token_type).toBe('bearer')
    expect(session.expires_in).toBe(3600)
    const [row] = await sql`select id, user_id, aal from auth.sessions where id = ${cl.session_id as string}`
    expect(row).toMatchObject({ user_id: id, aal: 'aal1' })
    const { data } = await c.auth.getUser()
    expect(data.user?.id).toBe(id)
  })

  it('stores a bcrypt hash and GoTrue-shaped rows', async () => {
    const { id, email: address } = await signedIn('rows')
    const [u] = await sql`select email, encrypted_password, aud, role, raw_app_meta_data, last_sign_in_at from auth.users where id = ${id}`
    expect(u!.encrypted_password).toMatch(/^\$2[aby]\$10\$/)
    expect(u).toMatchObject({ email: address, aud: 'authenticated', role: 'authenticated', raw_app_meta_data: { provider: 'email', providers: ['email'] } })
    expect(u!.last_sign_in_at).toBeInstanceOf(Date)
    const ids = await sql`select provider, provider_id, email, identity_data from auth.identities where user_id = ${id}`
    expect(ids).toEqual([{ provider: 'email', provider_id: id, email: address, identity_data: { sub: id, email: address, email_verified: true, phone_verified: false } }])
    const rts = await sql`select revoked, parent, user_id from auth.refresh_tokens where user_id = ${id}`
    expect(rts).toEqual([{ revoked: false, parent: null, user_id: id }])
  })

  it('answers a wrong password with 400 invalid_credentials and no session', async () => {
    const u = await confirmedUser('wrongpw')
    const { data, error } = await client().auth.signInWithPassword({ email: u.email, password: 'Mauvais2026x' })
    expect(data.session).toBeNull()
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' })
  })

  it('answers an unknown address like a wrong password', async () => {
    const { error } = await client().auth.signInWithPassword({ email: email('nobody'), password: PASSWORD })
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials' })
  })

  it('refuses a user whose e-mail is not confirmed', async () => {
    const address = email('unconfirmed')
    const { error: e0 } = await client('service').auth.admin.createUser({ email: address, password: PASSWORD })
    expect(e0).toBeNull()
    const { error } = await client().auth.signInWithPassword({ email: address, password: PASSWORD })
    expect(error).toMatchObject({ status: 400, code: 'email_not_confirmed', message: 'Email not confirmed' })
  })

  it('signs in the seeded demo users (pgcrypto bcrypt hashes)', async () => {
    const [demo] = await sql`select email from auth.users where email like '%@immo-ai.test' order by email limit 1`
    if (!demo) return expect(demo).toBeUndefined()
    const { data, error } = await client().auth.signInWithPassword({ email: demo.email, password: 'ImmoDemo2026!' })
    expect(error).toBeNull()
    expect(data.user?.email).toBe(demo.email)
  })

  it('flags a sign-in with a password weaker than the current policy', async () => {
    const u = await confirmedUser('weakpw')
    await sql`update auth.users set encrypted_password = extensions.crypt('short', extensions.gen_salt('bf', 10)) where id = ${u.id}`
    const { data, error } = await client().auth.signInWithPassword({ email: u.email, password: 'short' })
    expect(error).toBeNull()
    expect((data as { weakPassword?: { reasons: string[] } }).weakPassword?.reasons).toEqual(expect.arrayContaining(['length', 'characters']))
  })

  it('refuses banned users', async () => {
    const u = await confirmedUser('banned')
    const { error: e0 } = await client('service').auth.admin.updateUserById(u.id, { ban_duration: '24h' })
    expect(e0).toBeNull()
    const { error } = await client().auth.signInWithPassword({ email: u.email, password: PASSWORD })
    expect(error).toMatchObject({ status: 400, code: 'user_banned' })
  })

  it('answers an unsupported grant and a missing refresh token as GoTrue does', async () => {
    const r1 = await authFetch('/token?grant_type=client_credentials', { method: 'POST', body: '{}' })
    expect(r1.status).toBe(400)
    expect(await r1.json()).toEqual({ code: 'invalid_credentials', message: 'unsupported_grant_type' })
    expect(r1.headers.get('x-supabase-api-version')).toBe('2024-01-01')
    expect(r1.headers.get('x-sb-error-code')).toBe('invalid_credentials')
    const r2 = await authFetch('/token?grant_type=refresh_token', { method: 'POST', body: '{}' })
    expect(r2.status).toBe(400)
    expect(await r2.json()).toEqual({ error: 'invalid_request', error_description: 'refresh_token required' })
  })

  it('uses the legacy error body when the client sends no API version', async () => {
    const r = await authFetch('/token?grant_type=password', {
      method: 'POST', body: JSON.stringify({ email: email('legacy'), password: 'x' }), headers: { 'x-supabase-api-version': '' },
    })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' })
  })
})

describe('refresh rotation', () => {
  it('rotates the refresh token; the old access token still works on REST', async () => {
    const { c, session, id } = await signedIn('rotate')
    const { data, error } = await c.auth.refreshSession()
    expect(error).toBeNull()
    expect(data.session!.refresh_token).not.toBe(session.refresh_token)
    expect(claims(data.session!.access_token).session_id).toBe(claims(session.access_token).session_id)
    const rows = await sql`select token, revoked, parent from auth.refresh_tokens where user_id = ${id} order by id`
    expect(rows).toEqual([
      { token: session.refresh_token, revoked: true, parent: null },
      { token: data.session!.refresh_token, revoked: false, parent: session.refresh_token },
    ])
    const rest = await fetch(`${env('SUPABASE_URL')}/rest/v1/tenants?select=id`, {
      headers: { apikey: env('SUPABASE_ANON_KEY'), authorization: `Bearer ${session.access_token}` },
    })
    expect(rest.status).toBe(200)
  })

  it('hands back the active token when its parent is presented again (lost response)', async () => {
    const { c, session } = await signedIn('lost')
    const { data } = await c.auth.refreshSession()
    const again = await client().auth.refreshSession({ refresh_token: session.refresh_token })
    expect(again.error).toBeNull()
    expect(again.data.session!.refresh_token).toBe(data.session!.refresh_token)
  })

  it('accepts an older revoked token within the reuse interval', async () => {
    const { session } = await signedIn('grace')
    const a = session.refresh_token
    const b = (await client().auth.refreshSession({ refresh_token: a })).data.session!.refresh_token
    const c = (await client().auth.refreshSession({ refresh_token: b })).data.session!.refresh_token
    expect(c).not.toBe(b)
    const again = await client().auth.refreshSession({ refresh_token: a })
    expect(again.error).toBeNull()
    expect(again.data.session!.refresh_token).not.toBe(c)
  })

  it('revokes the whole family when a token is reused after the interval', async () => {
    const { session } = await signedIn('reuse')
    const a = session.refresh_token
    const b = (await client().auth.refreshSession({ refresh_token: a })).data.session!.refresh_token
    const c = (await client().auth.refreshSession({ refresh_token: b })).data.session!.refresh_token
    // Ten seconds "pass" for the revoked token.
    await sql`update auth.refresh_tokens set updated_at = now() - interval '11 seconds' where token = ${a}`
    const reuse = await client().auth.refreshSession({ refresh_token: a })
    expect(reuse.error).toMatchObject({ status: 400, code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' })
    const active = await client().auth.refreshSession({ refresh_token: c })
    expect(active.error).toMatchObject({ status: 400, code: 'session_expired' })
    const [{ n }] = (await sql`select count(*)::int as n from auth.refresh_tokens where session_id = ${claims(session.access_token).session_id as string} and not revoked`) as unknown as [{ n: number }]
    expect(n).toBe(0)
  })

  it('answers an unknown refresh token with refresh_token_not_found', async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: 'abcdefghijkl' })
    expect(error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
  })
})

describe('sign-out scopes', () => {
  it('global: every session ends; /user says session_not_found; refresh says not found', async () => {
    const first = await signedIn('global')
    const second = client()
    await second.auth.signInWithPassword({ email: first.email, password: PASSWORD })
    const { error } = await first.c.auth.signOut()
    expect(error).toBeNull()
    const [{ n }] = (await sql`select count(*)::int as n from auth.sessions where user_id = ${first.id}`) as unknown as [{ n: number }]
    expect(n).toBe(0)
    const u = await client().auth.getUser(first.session.access_token)
    expect(u.error?.name).toBe('AuthSessionMissingError')
    const raw = await authFetch('/user', { bearer: first.session.access_token })
    expect(raw.status).toBe(403)
    expect((await raw.json()).code).toBe('session_not_found')
    const r = await client().auth.refreshSession({ refresh_token: first.session.refresh_token })
    expect(r.error).toMatchObject({ code: 'refresh_token_not_found' })
  })

  it('local: only this session ends', async () => {
    const a = await signedIn('local')
    const b = client()
    const sb = (await b.auth.signInWithPassword({ email: a.email, password: PASSWORD })).data.session!
    const r = await authFetch('/logout?scope=local', { method: 'POST', bearer: a.session.access_token })
    expect(r.status).toBe(204)
    expect((await authFetch('/user', { bearer: a.session.access_token })).status).toBe(403)
    expect((await authFetch('/user', { bearer: sb.access_token })).status).toBe(200)
  })

  it('others: every session but this one ends', async () => {
    const a = await signedIn('others')
    const b = client()
    const sb = (await b.auth.signInWithPassword({ email: a.email, password: PASSWORD })).data.session!
    const { error } = await a.c.auth.signOut({ scope: 'others' })
    expect(error).toBeNull()
    expect((await authFetch('/user', { bearer: a.session.access_token })).status).toBe(200)
    expect((await authFetch('/user', { bearer: sb.access_token })).status).toBe(403)
  })
})

describe('updateUser', () => {
  it('merges user_metadata and fires USER_UPDATED', async () => {
    const { c } = await signedIn('update')
    const events: string[] = []
    c.auth.onAuthStateChange((e) => void events.push(e))
    const { data, error } = await c.auth.updateUser({ data: { name: 'Z', city: 'Lyon' } })
    expect(error).toBeNull()
    expect(data.user!.user_metadata).toMatchObject({ name: 'Z', city: 'Lyon' })
    const again = await c.auth.updateUser({ data: { city: null } })
    expect(again.data.user!.user_metadata.city).toBeUndefined()
    expect(again.data.user!.user_metadata.name).toBe('Z')
    expect(events).toContain('USER_UPDATED')
  })

  it('changes the password, refuses the same one and weak ones', { timeout: 90_000 }, async () => {
    const { c, email: address } = await signedIn('pwchange')
    const same = await c.auth.updateUser({ password: PASSWORD })
    expect(same.error).toMatchObject({ status: 422, code: 'same_password' })
    const weak = await c.auth.updateUser({ password: 'abc' })
    expect(weak.error?.name).toBe('AuthWeakPasswordError')
    const ok = await c.auth.updateUser({ password: 'Nouveau2026pw' })
    expect(ok.error).toBeNull()
    expect((await client().auth.signInWithPassword({ email: address, password: PASSWORD })).error?.code).toBe('invalid_credentials')
    expect((await client().auth.signInWithPassword({ email: address, password: 'Nouveau2026pw' })).error).toBeNull()
  })

  it('refuses an e-mail already used by another account', async () => {
    const other = await confirmedUser('taken')
    const { c } = await signedIn('wantstaken')
    const { error } = await c.auth.updateUser({ email: other.email })
    expect(error).toMatchObject({ status: 422, code: 'email_exists' })
  })
})

describe('bearer checks on /user', () => {
  const secret = () => new TextEncoder().encode(env('SUPABASE_JWT_SECRET'))

  it('401 no_authorization without a user token', async () => {
    // No apikey either: the gateway would otherwise turn the key into the bearer, as Kong does.
    const r = await fetch(`${env('SUPABASE_URL')}/auth/v1/user`, { headers: { 'x-supabase-api-version': '2024-01-01' } })
    expect(r.status).toBe(401)
    expect((await r.json()).code).toBe('no_authorization')
  })

  it('403 bad_jwt for an expired token', async () => {
    const { id, session } = await signedIn('expired')
    const jwt = await new SignJWT({ ...claims(session.access_token), sub: id, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret())
    const r = await authFetch('/user', { bearer: jwt })
    expect(r.status).toBe(403)
    const body = await r.json()
    expect(body.code).toBe('bad_jwt')
    expect(body.message).toMatch(/expired/)
  })

  it('403 bad_jwt for a token signed with another secret', async () => {
    const { session } = await signedIn('wrongsecret')
    const jwt = await new SignJWT(claims(session.access_token)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('another-secret-with-at-least-32-characters'))
    const r = await authFetch('/user', { bearer: jwt })
    expect(r.status).toBe(403)
    expect((await r.json()).code).toBe('bad_jwt')
  })

  it('403 bad_jwt for alg none and for a tampered payload', async () => {
    const { session } = await signedIn('algnone')
    const [h, p] = session.access_token.split('.')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
    expect((await authFetch('/user', { bearer: none })).status).toBe(403)
    const forged = { ...claims(session.access_token), role: 'service_role' }
    const tampered = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${session.access_token.split('.')[2]}`
    const r = await authFetch('/user', { bearer: tampered })
    expect(r.status).toBe(403)
    expect((await r.json()).code).toBe('bad_jwt')
    expect((await authFetch('/user', { bearer: 'garbage' })).status).toBe(403)
  })

  it('403 for the anon key (no subject) and for a deleted user', async () => {
    expect((await authFetch('/user')).status).toBe(403)
    const { id, session } = await signedIn('gone')
    await client('service').auth.admin.deleteUser(id)
    const r = await authFetch('/user', { bearer: session.access_token })
    expect(r.status).toBe(403)
  })
})

describe('discovery endpoints', () => {
  it('/settings reflects config.toml and /health answers', async () => {
    const s = await (await authFetch('/settings')).json()
    expect(s).toMatchObject({ disable_signup: false, mailer_autoconfirm: false, external: { email: true, phone: false, anonymous_users: false } })
    const h = await authFetch('/health')
    expect(h.status).toBe(200)
    expect((await h.json()).name).toBe('GoTrue')
  })

  it('anonymous sign-in is disabled as in config.toml', async () => {
    const { error } = await client().auth.signInAnonymously()
    expect(error).toMatchObject({ status: 422, code: 'anonymous_provider_disabled' })
  })
})
