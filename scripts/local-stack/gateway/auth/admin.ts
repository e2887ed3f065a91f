/**
 * GoTrue's admin API (service role only): /admin/users CRUD with pagination
 * headers, /admin/generate_link and /invite.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import { goDuration } from './config.ts'
import { badRequest, internal, notFound, unprocessable } from './errors.ts'
import { createUserOr500, mergeMeta, type Reply } from './flows.ts'
import type { AuthService } from './service.ts'
import { confirmEmail, findUserByEmail, findUserById, isUuid, renderUser, type Db, type UserRow } from './store.ts'

const json = (status: number, body?: unknown): Reply => ({ status, body })
const Meta = z.record(z.string(), z.unknown())

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    throw badRequest('validation_failed', `Unable to validate request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`)
  }
  return r.data
}

/** `ban_duration`: "none" lifts a ban; a Go duration ("24h", "1h30m") bans until now + duration. */
function banUntil(d: string | null | undefined): Date | null | undefined {
  if (d === undefined || d === null || d === '') return undefined
  if (d === 'none') return null
  let secs: number
  try {
    secs = goDuration(d)
  } catch {
    throw badRequest('validation_failed', `invalid format for ban duration: time: invalid duration "${d}"`)
  }
  return new Date(Date.now() + secs * 1000)
}

async function userOr404(db: Db, id: string): Promise<UserRow> {
  const u = isUuid(id) ? await findUserById(db, id) : undefined
  if (!u) throw notFound('user_not_found', 'User not found')
  return u
}

const CreateBody = z.looseObject({
  id: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  password: z.string().nullish(),
  email_confirm: z.boolean().nullish(),
  phone_confirm: z.boolean().nullish(),
  user_metadata: Meta.nullish(),
  app_metadata: Meta.nullish(),
  role: z.string().nullish(),
  ban_duration: z.string().nullish(),
})

export async function createUser(svc: AuthService, req: IncomingMessage, _url: URL, raw: unknown): Promise<Reply> {
  await svc.requireAdmin(req)
  const b = parse(CreateBody, raw)
  if (!b.email && !b.phone) throw badRequest('validation_failed', 'Unable to validate request: an email or a phone is required')
  if (b.phone && !b.email) throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  const email = svc.validEmail(b.email)
  if (b.id && !isUuid(b.id)) throw badRequest('validation_failed', 'Unable to validate request: id must be a UUID')
  if (b.password) svc.assertStrongPassword(b.password)
  const hash = b.password ? await svc.hashPassword(b.password) : null
  const banned = banUntil(b.ban_duration)
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    if (await findUserByEmail(tx, email)) {
      throw unprocessable('email_exists', 'A user with this email address has already been registered')
    }
    if (b.id && (await findUserById(tx, b.id))) throw unprocessable('user_already_exists', 'User already registered')
    const u = await createUserOr500(tx, svc, {
      id: b.id ?? undefined, email, password: hash, role: b.role ?? undefined, emailConfirmed: !!b.email_confirm,
      userMeta: b.user_metadata ?? {}, appMeta: b.app_metadata ?? {}, bannedUntil: banned ?? null,
    }, 'Database error creating new user')
    return json(200, await renderUser(tx, u))
  }) as Promise<Reply>
}

export async function listUsers(svc: AuthService, req: IncomingMessage, url: URL): Promise<Reply & { headers?: Record<string, string> }> {
  await svc.requireAdmin(req)
  const page = Math.max(1, Number.parseInt(url.searchParams.get('page') || '1', 10) || 1)
  const perPage = Math.min(1000, Math.max(1, Number.parseInt(url.searchParams.get('per_page') || '50', 10) || 50))
  const filter = url.searchParams.get('filter') ?? ''
  const like = `%${filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const db = svc.db
  const [{ total }] = (await db<{ total: number }[]>`
    select count(*)::int as total from auth.users
    where aud = 'authenticated' and (${filter} = '' or email ilike ${like} or raw_user_meta_data->>'full_name' ilike ${like})`) as unknown as [{ total: number }]
  const rows = await db<UserRow[]>`
    select * from auth.users
    where aud = 'authenticated' and (${filter} = '' or email ilike ${like} or raw_user_meta_data->>'full_name' ilike ${like})
    order by created_at desc, id
    limit ${perPage} offset ${(page - 1) * perPage}`
  const users = await Promise.all(rows.map((u) => renderUser(db, u)))
  const last = Math.max(1, Math.ceil(total / perPage))
  const links: string[] = []
  if (page < last) links.push(`</admin/users?page=${page + 1}&per_page=${perPage}>; rel="next"`)
  links.push(`</admin/users?page=${last}&per_page=${perPage}>; rel="last"`)
  return { status: 200, body: { users, aud: 'authenticated' }, headers: { 'x-total-count': String(total), link: links.join(', ') } }
}

export async function getUserById(svc: AuthService, req: IncomingMessage, id: string): Promise<Reply> {
  await svc.requireAdmin(req)
  return json(200, await renderUser(svc.db, await userOr404(svc.db, id)))
}

const UpdateBody = z.looseObject({
  role: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  password: z.string().nullish(),
  email_confirm: z.boolean().nullish(),
  phone_confirm: z.boolean().nullish(),
  user_metadata: Meta.nullish(),
  app_metadata: Meta.nullish(),
  ban_duration: z.string().nullish(),
})

export async function updateUserById(svc: AuthService, req: IncomingMessage, id: string, raw: unknown): Promise<Reply> {
  await svc.requireAdmin(req)
  const b = parse(UpdateBody, raw)
  if (b.phone) throw unprocessable('phone_provider_disabled', 'Unsupported phone provider')
  if (b.password) svc.assertStrongPassword(b.password)
  const hash = b.password ? await svc.hashPassword(b.password) : undefined
  const banned = banUntil(b.ban_duration)
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const u = await userOr404(tx, id)
    if (b.email) {
      const email = svc.validEmail(b.email)
      const [taken] = await tx`select 1 from auth.users where lower(email) = ${email} and id <> ${u.id}`
      if (taken) throw unprocessable('email_exists', 'A user with this email address has already been registered')
      await tx`update auth.users set email = ${email}, email_change = '', updated_at = now() where id = ${u.id}`
      await tx`
        update auth.identities set identity_data = jsonb_set(identity_data, '{email}', to_jsonb(${email}::text)), updated_at = now()
        where user_id = ${u.id} and provider = 'email'`
    }
    if (hash) await tx`update auth.users set encrypted_password = ${hash}, updated_at = now() where id = ${u.id}`
    if (b.email_confirm) await confirmEmail(tx, u.id)
    if (b.role) await tx`update auth.users set role = ${b.role}, updated_at = now() where id = ${u.id}`
    if (b.user_metadata) {
      const meta = mergeMeta(u.raw_user_meta_data, b.user_metadata)
      await tx`update auth.users set raw_user_meta_data = ${tx.json(meta as never)}, updated_at = now() where id = ${u.id}`
    }
    if (b.app_metadata) {
      const meta = mergeMeta(u.raw_app_meta_data, b.app_metadata)
      await tx`update auth.users set raw_app_meta_data = ${tx.json(meta as never)}, updated_at = now() where id = ${u.id}`
    }
    if (banned !== undefined) {
      await tx`update auth.users set banned_until = ${banned}, updated_at = now() where id = ${u.id}`
      // A ban ends every session of the user.
      if (banned) await tx`delete from auth.sessions where user_id = ${u.id}`
    }
    return json(200, await renderUser(tx, (await findUserById(tx, u.id))!))
  }) as Promise<Reply>
}

const DeleteBody = z.looseObject({ should_soft_delete: z.boolean().nullish() })

export async function deleteUser(svc: AuthService, req: IncomingMessage, id: string, raw: unknown): Promise<Reply> {
  await svc.requireAdmin(req)
  const b = parse(DeleteBody, raw)
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    const u = await userOr404(tx, id)
    try {
      if (b.should_soft_delete) {
        if (u.deleted_at) return json(200, {})
        // GoTrue keeps the row, obfuscates identifying fields and removes identities and sessions.
        const obf = (v: string | null) => (v ? createHash('sha256').update(u.id + v).digest('hex') : null)
        await tx`
          update auth.users set deleted_at = now(), email = ${obf(u.email)}, phone = ${obf(u.phone)},
            encrypted_password = '', raw_user_meta_data = '{}', raw_app_meta_data = '{}',
            confirmation_token = '', recovery_token = '', email_change = '', updated_at = now()
          where id = ${u.id}`
        await tx`delete from auth.identities where user_id = ${u.id}`
        await tx`delete from auth.sessions where user_id = ${u.id}`
        await tx`delete from auth.one_time_tokens where user_id = ${u.id}`
      } else {
        await tx`delete from auth.users where id = ${u.id}`
      }
    } catch (e) {
      svc.ctx.log({ level: 'error', service: 'auth', message: 'delete user failed', error: String((e as Error).message ?? e) })
      throw internal('Database error deleting user')
    }
    return json(200, {})
  }) as Promise<Reply>
}

// ---------------------------------------------------------------- generate_link, invite

const LinkBody = z.looseObject({
  type: z.enum(['signup', 'invite', 'magiclink', 'recovery', 'email_change_current', 'email_change_new']),
  email: z.string(),
  password: z.string().nullish(),
  new_email: z.string().nullish(),
  data: Meta.nullish(),
  redirectTo: z.string().nullish(),
  redirect_to: z.string().nullish(),
})

export async function generateLink(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  await svc.requireAdmin(req)
  const b = parse(LinkBody, raw)
  const email = svc.validEmail(b.email)
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to') ?? b.redirectTo ?? b.redirect_to)
  if (b.type === 'signup' && !b.password) throw badRequest('validation_failed', 'Signup requires a valid password')
  if (b.password) svc.assertStrongPassword(b.password)
  const hash = b.password ? await svc.hashPassword(b.password) : null
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    let user = await findUserByEmail(tx, email)
    const exists = () => unprocessable('email_exists', 'A user with this email address has already been registered')
    let ott: 'confirmation_token' | 'recovery_token' | 'email_change_token_new' | 'email_change_token_current'
    let relatesTo = email
    let linkType: string = b.type
    switch (b.type) {
      case 'signup':
      case 'invite':
        if (user?.email_confirmed_at) throw exists()
        if (!user) {
          user = await createUserOr500(tx, svc, {
            email, password: hash, emailConfirmed: false, userMeta: b.data ?? {}, invited: b.type === 'invite',
          })
        } else if (b.type === 'signup') {
          await tx`update auth.users set encrypted_password = ${hash}, updated_at = now() where id = ${user.id}`
        } else {
          await tx`update auth.users set invited_at = now(), updated_at = now() where id = ${user.id}`
        }
        ott = 'confirmation_token'
        break
      case 'magiclink':
        if (!user) user = await createUserOr500(tx, svc, { email, emailConfirmed: false, userMeta: b.data ?? {} })
        ott = 'recovery_token'
        break
      case 'recovery':
        if (!user) throw notFound('user_not_found', 'User with this email not found')
        ott = 'recovery_token'
        break
      default: {
        if (!user) throw notFound('user_not_found', 'User with this email not found')
        if (!b.new_email) throw badRequest('validation_failed', 'The new email address provided is invalid')
        const newEmail = svc.validEmail(b.new_email)
        const [taken] = await tx`select 1 from auth.users where lower(email) = ${newEmail} and id <> ${user.id}`
        if (taken) throw exists()
        await tx`update auth.users set email_change = ${newEmail}, email_change_confirm_status = 0, updated_at = now() where id = ${user.id}`
        ott = b.type === 'email_change_new' ? 'email_change_token_new' : 'email_change_token_current'
        if (b.type === 'email_change_new') relatesTo = newEmail
        linkType = 'email_change'
      }
    }
    const { otp, hash: hashed } = await svc.makeToken(tx, { user, ott, relatesTo })
    const fresh = (await findUserById(tx, user.id))!
    return json(200, {
      ...(await renderUser(tx, fresh)),
      action_link: svc.verifyLink(hashed, linkType, redirect),
      email_otp: otp,
      hashed_token: hashed,
      verification_type: b.type,
      redirect_to: redirect,
    })
  }) as Promise<Reply>
}

const InviteBody = z.looseObject({ email: z.string().nullish(), data: Meta.nullish() })

export async function invite(svc: AuthService, req: IncomingMessage, url: URL, raw: unknown): Promise<Reply> {
  await svc.requireAdmin(req)
  const b = parse(InviteBody, raw)
  const email = svc.validEmail(b.email)
  const redirect = svc.resolveRedirect(url.searchParams.get('redirect_to'))
  return svc.db.begin(async (tx0) => {
    const tx = tx0 as unknown as Db
    let user = await findUserByEmail(tx, email)
    if (user?.email_confirmed_at) throw unprocessable('email_exists', 'A user with this email address has already been registered')
    if (!user) user = await createUserOr500(tx, svc, { email, emailConfirmed: false, userMeta: b.data ?? {}, invited: true })
    else await tx`update auth.users set invited_at = now(), updated_at = now() where id = ${user.id}`
    await svc.sendTokenMail(tx, req, {
      user, kind: 'invite', linkType: 'invite', ott: 'confirmation_token', to: email,
      sentAtColumn: 'confirmation_sent_at', redirect, skipFrequency: true,
    })
    return json(200, await renderUser(tx, (await findUserById(tx, user.id))!))
  }) as Promise<Reply>
}
