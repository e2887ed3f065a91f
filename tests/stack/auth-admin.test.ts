/**
 * Auth admin API with the service-role supabase-js (contract cases 73, 78, 79),
 * AFTER INSERT triggers on auth.users firing inside sign-up and their failure
 * surfacing as GoTrue's 500, and a second auth instance with confirmations
 * off (autoconfirm sign-up, case 62–63) and a tight per-IP e-mail limit.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type postgres from 'postgres'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StackConfig } from '../../scripts/local-stack/config.ts'
import { createAuth } from '../../scripts/local-stack/gateway/auth/index.ts'
import { closeContext, createContext, type GatewayContext, type GatewayModule } from '../../scripts/local-stack/gateway/context.ts'
import { translateKeys } from '../../scripts/local-stack/gateway/server.ts'
import { mailReady } from '../helpers/mail.ts'
import { adminSql, client, env } from '../helpers/stack.ts'
import { authFetch, claims, confirmedUser, email, PASSWORD } from './auth-fixture.ts'

let sql: postgres.Sql
const admin = () => client('service').auth.admin

beforeAll(() => {
  sql = adminSql()
})
afterAll(async () => {
  await sql.end()
})

describe('admin users', () => {
  it('createUser with email_confirm: confirmed user, identities, metadata', async () => {
    const address = email('admincreate')
    const { data, error } = await admin().createUser({
      email: address, password: PASSWORD, email_confirm: true, user_metadata: { full_name: 'Anne' }, app_metadata: { plan: 'pro' },
    })
    expect(error).toBeNull()
    expect(data.user).toMatchObject({
      email: address, aud: 'authenticated', role: 'authenticated', phone: '', is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'], plan: 'pro' }, user_metadata: { full_name: 'Anne' },
    })
    expect(data.user!.email_confirmed_at).toBeTruthy()
    expect(data.user!.identities).toHaveLength(1)
    expect(data.user!.identities![0]).toMatchObject({ provider: 'email', id: data.user!.id, user_id: data.user!.id, email: address })
  })

  it('createUser with an existing e-mail → 422 email_exists; weak password → weak_password', async () => {
    const u = await confirmedUser('admindup')
    const dup = await admin().createUser({ email: u.email, password: PASSWORD })
    expect(dup.error).toMatchObject({ status: 422, code: 'email_exists', message: 'A user with this email address has already been registered' })
    const weak = await admin().createUser({ email: email('adminweak'), password: 'x' })
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' })
  })

  it('listUsers paginates with X-Total-Count and Link headers', async () => {
    await confirmedUser('page1')
    await confirmedUser('page2')
    const { data, error } = await admin().listUsers({ page: 1, perPage: 1 })
    expect(error).toBeNull()
    expect(data.users).toHaveLength(1)
    const [{ n }] = (await sql`select count(*)::int as n from auth.users`) as unknown as [{ n: number }]
    expect((data as unknown as { total: number }).total).toBeGreaterThanOrEqual(2)
    expect((data as unknown as { nextPage: number }).nextPage).toBe(2)
    const raw = await authFetch('/admin/users?page=2&per_page=1', { key: 'service' })
    expect(Number(raw.headers.get('x-total-count'))).toBeGreaterThanOrEqual(Math.min(n, 2))
    expect(raw.headers.get('link')).toMatch(/^<\/admin\/users\?page=3&per_page=1>; rel="next", <\/admin\/users\?page=\d+&per_page=1>; rel="last"$/)
    expect((await raw.json()).aud).toBe('authenticated')
  })

  it('getUserById and a 404 user_not_found', async () => {
    const u = await confirmedUser('adminget')
    const { data } = await admin().getUserById(u.id)
    expect(data.user!.email).toBe(u.email)
    const missing = await admin().getUserById(crypto.randomUUID())
    expect(missing.error).toMatchObject({ status: 404, code: 'user_not_found', message: 'User not found' })
  })

  it('updateUserById: app_metadata is merged and seen in the next JWT', async () => {
    const u = await confirmedUser('adminupdate')
    const { data, error } = await admin().updateUserById(u.id, { app_metadata: { role: 'x' }, user_metadata: { a: 1 } })
    expect(error).toBeNull()
    expect(data.user!.app_metadata).toEqual({ provider: 'email', providers: ['email'], role: 'x' })
    const s = await client().auth.signInWithPassword({ email: u.email, password: PASSWORD })
    expect(claims(s.data.session!.access_token).app_metadata).toEqual({ provider: 'email', providers: ['email'], role: 'x' })
    expect(claims(s.data.session!.access_token).user_metadata).toMatchObject({ a: 1 })
  })

  it('ban_duration bans (ending sessions) and "none" lifts the ban', async () => {
    const u = await confirmedUser('adminban')
    const s = await client().auth.signInWithPassword({ email: u.email, password: PASSWORD })
    const banned = await admin().updateUserById(u.id, { ban_duration: '1h30m' })
    expect(new Date(banned.data.user!.banned_until!).getTime()).toBeGreaterThan(Date.now() + 80 * 60_000)
    const r = await client().auth.refreshSession({ refresh_token: s.data.session!.refresh_token })
    expect(r.error).toBeTruthy()
    await admin().updateUserById(u.id, { ban_duration: 'none' })
    expect((await client().auth.signInWithPassword({ email: u.email, password: PASSWORD })).error).toBeNull()
  })

  it('updateUserById changes e-mail and password and confirms', async () => {
    const address = email('adminchg')
    const created = await admin().createUser({ email: address, password: PASSWORD })
    const next = email('adminchg2')
    const { error } = await admin().updateUserById(created.data.user!.id, { email: next, password: 'Autre2026motdepasse', email_confirm: true })
    expect(error).toBeNull()
    expect((await client().auth.signInWithPassword({ email: next, password: 'Autre2026motdepasse' })).error).toBeNull()
  })

  it('deleteUser hard-deletes (rows cascade); soft delete keeps an obfuscated row', async () => {
    const hard = await confirmedUser('adminhard')
    await client().auth.signInWithPassword({ email: hard.email, password: PASSWORD })
    const { data, error } = await admin().deleteUser(hard.id)
    expect(error).toBeNull()
    expect(data.user!.id).toBe(hard.id)
    expect(await sql`select 1 from auth.users where id = ${hard.id}`).toHaveLength(0)
    expect(await sql`select 1 from auth.sessions where user_id = ${hard.id}`).toHaveLength(0)
    const soft = await confirmedUser('adminsoft')
    expect((await admin().deleteUser(soft.id, true)).error).toBeNull()
    const [row] = await sql`select email, deleted_at from auth.users where id = ${soft.id}`
    expect(row!.deleted_at).toBeInstanceOf(Date)
    expect(row!.email).not.toBe(soft.email)
    expect((await client().auth.signInWithPassword({ email: soft.email, password: PASSWORD })).error?.code).toBe('invalid_credentials')
  })

  it('the anon key and a user token get 403 not_admin', async () => {
    const anon = await client().auth.admin.listUsers()
    expect(anon.error).toMatchObject({ status: 403, code: 'not_admin', message: 'User not allowed' })
    const u = await confirmedUser('notadmin')
    const s = await client().auth.signInWithPassword({ email: u.email, password: PASSWORD })
    const r = await authFetch('/admin/users', { bearer: s.data.session!.access_token })
    expect(r.status).toBe(403)
  })

  it('the opaque secret key works as the service role', async () => {
    const r = await fetch(`${env('SUPABASE_URL')}/auth/v1/admin/users?page=1&per_page=1`, {
      headers: { apikey: env('SUPABASE_SECRET_KEY'), authorization: `Bearer ${env('SUPABASE_SECRET_KEY')}` },
    })
    expect(r.status).toBe(200)
  })
})

describe('generateLink', () => {
  it('magiclink: properties with email_otp and hashed_token; verifyOtp({token_hash}) signs in', async () => {
    const u = await confirmedUser('genmagic')
    const { data, error } = await admin().generateLink({ type: 'magiclink', email: u.email, options: { redirectTo: 'http://localhost:3000/x' } })
    expect(error).toBeNull()
    expect(data.properties!.email_otp).toMatch(/^\d{6}$/)
    expect(data.properties!.hashed_token).toMatch(/^[0-9a-f]{56}$/)
    expect(data.properties!.verification_type).toBe('magiclink')
    expect(data.properties!.redirect_to).toBe('http://localhost:3000/x')
    expect(data.properties!.action_link).toContain('/auth/v1/verify?token=')
    expect(data.user!.id).toBe(u.id)
    const v = await client().auth.verifyOtp({ token_hash: data.properties!.hashed_token, type: 'magiclink' })
    expect(v.error).toBeNull()
    expect(v.data.user!.id).toBe(u.id)
  })

  it('signup link creates an unconfirmed user; following it confirms', async () => {
    const address = email('gensignup')
    const { data, error } = await admin().generateLink({ type: 'signup', email: address, password: PASSWORD })
    expect(error).toBeNull()
    expect(data.user!.email_confirmed_at).toBeUndefined()
    const r = await fetch(data.properties!.action_link, { redirect: 'manual' })
    expect(r.status).toBe(303)
    expect(new URLSearchParams(new URL(r.headers.get('location')!).hash.slice(1)).get('access_token')).toBeTruthy()
    expect((await client().auth.signInWithPassword({ email: address, password: PASSWORD })).error).toBeNull()
  })

  it('recovery for an unknown e-mail → 404; invite for a confirmed user → 422', async () => {
    const r = await admin().generateLink({ type: 'recovery', email: email('genghost') })
    expect(r.error).toMatchObject({ status: 404, code: 'user_not_found' })
    const u = await confirmedUser('geninv')
    const i = await admin().generateLink({ type: 'invite', email: u.email })
    expect(i.error).toMatchObject({ status: 422, code: 'email_exists' })
  })

  it('recovery and invite links verify with their types', async () => {
    const u = await confirmedUser('genrec')
    const rec = await admin().generateLink({ type: 'recovery', email: u.email })
    expect((await client().auth.verifyOtp({ token_hash: rec.data.properties!.hashed_token, type: 'recovery' })).error).toBeNull()
    const address = email('geninvite')
    const inv = await admin().generateLink({ type: 'invite', email: address })
    expect(inv.data.user!.invited_at).toBeTruthy()
    const v = await client().auth.verifyOtp({ email: address, token: inv.data.properties!.email_otp, type: 'invite' })
    expect(v.error).toBeNull()
  })
})

describe('triggers on auth.users', () => {
  beforeAll(async () => {
    await sql.unsafe(`
      create schema if not exists auth_test;
      create table if not exists auth_test.profiles (id uuid primary key, email text, full_name text);
      grant usage on schema auth_test to supabase_auth_admin;
      create or replace function auth_test.on_new_user() returns trigger language plpgsql security definer set search_path = '' as $$
      begin
        if new.raw_user_meta_data->>'full_name' = 'explode' then raise exception 'profile refused'; end if;
        insert into auth_test.profiles (id, email, full_name) values (new.id, new.email, new.raw_user_meta_data->>'full_name');
        return new;
      end $$;
      drop trigger if exists auth_test_on_new_user on auth.users;
      create trigger auth_test_on_new_user after insert on auth.users for each row execute function auth_test.on_new_user();`)
  })
  afterAll(async () => {
    await sql.unsafe(`drop trigger if exists auth_test_on_new_user on auth.users; drop schema if exists auth_test cascade;`)
  })

  it('fires inside the admin create transaction', async () => {
    const address = email('trigger')
    const { data, error } = await admin().createUser({ email: address, password: PASSWORD, user_metadata: { full_name: 'Profil' } })
    expect(error).toBeNull()
    const [p] = await sql`select email, full_name from auth_test.profiles where id = ${data.user!.id}`
    expect(p).toEqual({ email: address, full_name: 'Profil' })
  })

  it('a failing trigger on sign-up → 500 unexpected_failure, nothing written', async () => {
    const address = email('explode')
    const r = await authFetch('/signup', { method: 'POST', body: JSON.stringify({ email: address, password: PASSWORD, data: { full_name: 'explode' } }) })
    expect(r.status).toBe(500)
    expect(await r.json()).toEqual({ code: 'unexpected_failure', message: 'Database error saving new user' })
    expect(await sql`select 1 from auth.users where email = ${address}`).toHaveLength(0)
    const viaJs = await client().auth.signUp({ email: address, password: PASSWORD, options: { data: { full_name: 'explode' } } })
    expect(viaJs.error?.name).toBe('AuthRetryableFetchError')
    expect(viaJs.error?.status).toBe(500)
  })

  it('a failing trigger on admin create → 500 "Database error creating new user"', async () => {
    const { error } = await admin().createUser({ email: email('explode2'), password: PASSWORD, user_metadata: { full_name: 'explode' } })
    expect(error).toMatchObject({ status: 500, message: 'Database error creating new user' })
  })
})

describe('a second instance: confirmations off, tight per-IP limit', () => {
  let ctx: GatewayContext
  let auth: GatewayModule
  let server: Server
  let url: string
  let sb: () => SupabaseClient

  beforeAll(async () => {
    await mailReady()
    server = createServer()
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
    const port = (server.address() as AddressInfo).port
    const db = new URL(env('SUPABASE_DB_URL'))
    url = `http://127.0.0.1:${port}`
    const cfg = {
      ports: { db: Number(db.port), smtp: Number(env('SMTP_PORT')) },
      dbName: db.pathname.slice(1),
      apiUrl: url,
      keys: {
        jwtSecret: env('SUPABASE_JWT_SECRET'), anonKey: env('SUPABASE_ANON_KEY'), serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
        publishableKey: env('SUPABASE_PUBLISHABLE_KEY'), secretKey: env('SUPABASE_SECRET_KEY'),
      },
    } as unknown as StackConfig
    ctx = createContext(cfg, () => {})
    auth = createAuth(ctx, { settings: { enableConfirmations: false, emailsPerIpPerHour: 2, maxFrequency: 0, enableAnonymousSignIns: true } })
    server.on('request', (req, res) => {
      translateKeys(req, cfg)
      const u = new URL(req.url ?? '/', 'http://localhost')
      auth.handle(req, res, u.pathname.replace(/^\/auth\/v1/, '') || '/', u).catch((e) => {
        res.writeHead(500)
        res.end(String(e))
      })
    })
    sb = () => createClient(url, env('SUPABASE_ANON_KEY'), {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      realtime: { transport: WebSocket as never },
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await auth.close?.()
    await closeContext(ctx)
  })

  it('autoconfirm sign-up returns a session; email_confirmed_at set; row exists', async () => {
    const address = email('auto')
    const { data, error } = await sb().auth.signUp({ email: address, password: PASSWORD })
    expect(error).toBeNull()
    expect(data.session!.access_token).toBeTruthy()
    expect(data.user!.email_confirmed_at).toBeTruthy()
    expect(claims(data.session!.access_token).iss).toBe(`${url}/auth/v1`)
    expect(await sql`select 1 from auth.users where email = ${address}`).toHaveLength(1)
  })

  it('autoconfirm: an existing e-mail → 422 user_already_exists', async () => {
    const u = await confirmedUser('autodup')
    const { error } = await sb().auth.signUp({ email: u.email, password: PASSWORD })
    expect(error).toMatchObject({ status: 422, code: 'user_already_exists', message: 'User already registered' })
  })

  it('anonymous sign-in when enabled', async () => {
    const { data, error } = await sb().auth.signInAnonymously({ options: { data: { from: 'form' } } })
    expect(error).toBeNull()
    expect(data.user!.is_anonymous).toBe(true)
    expect(claims(data.session!.access_token)).toMatchObject({ is_anonymous: true, role: 'authenticated' })
  })

  it('per-IP limit: the third e-mail request within the hour → 429', async () => {
    const a = await confirmedUser('ip1')
    const b = await confirmedUser('ip2')
    const c = await confirmedUser('ip3')
    expect((await sb().auth.signInWithOtp({ email: a.email })).error).toBeNull()
    expect((await sb().auth.resetPasswordForEmail(b.email)).error).toBeNull()
    const third = await sb().auth.signInWithOtp({ email: c.email })
    expect(third.error).toMatchObject({ status: 429, code: 'over_email_send_rate_limit' })
  })
})
