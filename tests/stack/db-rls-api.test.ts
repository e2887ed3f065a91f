/**
 * The domain core seen through the API as the app sees it: supabase-js against
 * the gateway, a user JWT, RLS deciding. Also checks the demo agency's data
 * quality (phones, SIRETs, password hashes). Read-only: nothing is written.
 */
import bcrypt from 'bcryptjs'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { SignJWT } from 'jose'
import { isValidPhoneNumber } from 'libphonenumber-js'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { adminSql, env } from '../helpers/stack.ts'
import { siretFor, withLuhnDigit } from '../../scripts/generate-load-data.ts'

const sql = adminSql()
afterAll(() => sql.end())

const ETOILE = 'e7011e00-0000-4000-8000-000000000001'
const RIVE_GAUCHE = 'e7011e00-0000-4000-8000-000000000002'
const DEMO_OWNER = 'a1e7d0e0-0000-4000-8000-000000000001'
const RIVE_GAUCHE_OWNER = 'a1e7d0e0-0000-4000-8000-000000000006'

async function as(userId: string): Promise<SupabaseClient> {
  const token = await new SignJWT({ sub: userId, role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))
  return createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
    realtime: { transport: WebSocket as never },
  })
}

describe('RLS through the REST API', () => {
  it('the demo owner sees the 2,000 contacts of Étoile Immobilier and none of Rive Gauche', async () => {
    const db = await as(DEMO_OWNER)
    const all = await db.from('contacts').select('id', { count: 'exact', head: true })
    expect(all.error).toBeNull()
    expect(all.count).toBe(2000)
    const other = await db.from('contacts').select('id').eq('tenant_id', RIVE_GAUCHE)
    expect(other.data).toEqual([])
  })

  it('the second agency sees only its own 20 contacts, and embedded deals stay inside it', async () => {
    const db = await as(RIVE_GAUCHE_OWNER)
    const { data, error } = await db.from('contacts').select('tenant_id, deals(tenant_id)')
    expect(error).toBeNull()
    expect(data).toHaveLength(20)
    const tenants = new Set(data!.flatMap((c: { tenant_id: string; deals: { tenant_id: string }[] }) => [c.tenant_id, ...c.deals.map((d) => d.tenant_id)]))
    expect([...tenants]).toEqual([RIVE_GAUCHE])
  })

  it('anon reads no table', async () => {
    const anon = createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
      auth: { persistSession: false },
      realtime: { transport: WebSocket as never },
    })
    // The migrations revoke anon's privileges (42501); a re-run of the platform
    // bootstrap re-grants them (scripts/local-stack/bootstrap/09_privileges.sql),
    // and then RLS alone must still return nothing.
    const { data, error } = await anon.from('contacts').select('id').limit(1)
    if (error) expect(error.code).toBe('42501')
    else expect(data).toEqual([])
  })

  it('search_contacts answers for one\'s own tenant and refuses another', async () => {
    const db = await as(RIVE_GAUCHE_OWNER)
    const own = await db.rpc('search_contacts', { p_tenant_id: RIVE_GAUCHE, p_query: 'PARIS' })
    expect(own.error).toBeNull()
    expect((own.data as unknown[]).length).toBe(20)
    const foreign = await db.rpc('search_contacts', { p_tenant_id: ETOILE, p_query: 'martin' })
    expect(foreign.error?.code).toBe('42501')
    expect(foreign.error?.message).toBe('insufficient_role')
  })

  it('a duplicate contact is refused with a stable code naming the existing contact', async () => {
    const db = await as(DEMO_OWNER)
    const [existing] = await sql`select id, email from public.contacts where tenant_id = ${ETOILE} and email is not null order by id limit 1`
    const { error } = await db.from('contacts').insert({ tenant_id: ETOILE, first_name: 'Doublon', email: `  ${existing.email.toUpperCase()} ` })
    expect(error?.code).toBe('23505')
    expect(error?.message).toBe('duplicate_contact')
    expect(JSON.parse(error!.details!)).toEqual({ field: 'email', existing_contact_id: existing.id })
  })

  it('an invalid SIRET is refused with the field and the reason', async () => {
    const db = await as(DEMO_OWNER)
    const { error } = await db.from('contacts').insert({ tenant_id: ETOILE, kind: 'company', company_name: 'Faux SAS', siret: '73282932000075' })
    expect(error?.code).toBe('23514')
    expect(error?.message).toBe('invalid_siret')
    expect(JSON.parse(error!.details!)).toEqual({ field: 'siret', reason: 'checksum' })
  })
})

describe('demo agency data', () => {
  it('has valid E.164 French phones and valid SIRETs', async () => {
    const rows = await sql`select phone, siret from public.contacts where tenant_id in (${ETOILE}, ${RIVE_GAUCHE})`
    expect(rows.length).toBe(2020)
    const badPhones = rows.filter((r) => r.phone && !isValidPhoneNumber(r.phone)).map((r) => r.phone)
    expect(badPhones).toEqual([])
    const sirets = rows.filter((r) => r.siret).map((r) => r.siret as string)
    expect(sirets.length).toBeGreaterThan(200)
    expect(sirets.filter((s) => withLuhnDigit(s.slice(0, 13)) !== s || withLuhnDigit(s.slice(0, 8)) !== s.slice(0, 9))).toEqual([])
  })

  it('lets every demo login use the documented password (bcrypt, as GoTrue stores it)', async () => {
    const users = await sql`select email, encrypted_password from auth.users where email like '%@immo-ai.test' order by email`
    expect(users.map((u) => u.email)).toEqual([
      'camille.bernard@immo-ai.test', 'demo@immo-ai.test', 'julien.moreau@immo-ai.test',
      'rivegauche@immo-ai.test', 'sophie.martin@immo-ai.test', 'thomas.lefevre@immo-ai.test',
    ])
    for (const u of users) expect(bcrypt.compareSync('ImmoDemo2026!', u.encrypted_password)).toBe(true)
  })

  it('keeps the usage counter equal to the live contacts', async () => {
    const [r] = await sql`select (select contacts_count from public.tenant_usage where tenant_id = ${ETOILE}) as counted,
                                 (select count(*) from public.contacts where tenant_id = ${ETOILE} and deleted_at is null) as actual`
    expect(Number(r.counted)).toBe(Number(r.actual))
  })
})

describe('load-data identifiers', () => {
  it('derives Luhn-valid SIRETs the database accepts', async () => {
    const sample = [0, 1, 42, 99_999, 1_000_000].map(siretFor)
    const [r] = await sql`select bool_and(private.is_valid_siret(s)) as ok from unnest(${sample}::text[]) s`
    expect(r.ok).toBe(true)
    const [bad] = await sql`select private.is_valid_siret(${sample[0].slice(0, 13) + ((Number(sample[0][13]) + 1) % 10)}) as ok`
    expect(bad.ok).toBe(false)
  })
})
