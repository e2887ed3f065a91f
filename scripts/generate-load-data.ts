/**
 * Load data for benchmarks: N tenants and M contacts, streamed with COPY.
 *
 *   npx tsx scripts/generate-load-data.ts [--tenants=1000] [--contacts=1000000]
 *        [--big=200000] [--medium=50000] [--db-url=postgres://…]   (default $SUPABASE_DB_URL)
 *
 * Tenant 1 holds `big` contacts, tenant 2 `medium`, the rest share the remainder.
 * Each tenant gets an owner (auth.users + tenant_members). Data is deterministic
 * (seeded faker, index-derived phones/e-mails/SIRETs) and valid for every check
 * constraint and unique index. The contacts COPY runs with
 * session_replication_role = replica (superuser only) so per-row triggers
 * (duplicate lookup, audit, counters) are skipped; the counters are then
 * recomputed with private.refresh_tenant_usage(). Never run it on production.
 */
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { fakerFR } from '@faker-js/faker'
import postgres from 'postgres'

export interface LoadOptions {
  tenants: number
  contacts: number
  big: number
  medium: number
  /** Slug prefix, so several loads can coexist and be removed. */
  prefix?: string
  log?: (m: string) => void
}

export interface LoadResult {
  tenantIds: string[]
  ownerIds: string[]
  /** contacts per tenant, same order as tenantIds */
  sizes: number[]
  seconds: number
}

/** Appends the Luhn check digit to a string of digits. */
export function withLuhnDigit(digits: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = digits + d
    let sum = 0
    for (let i = 0; i < s.length; i++) {
      let n = s.charCodeAt(s.length - 1 - i) - 48
      if (i % 2 === 1) {
        n *= 2
        if (n > 9) n -= 9
      }
      sum += n
    }
    if (sum % 10 === 0) return s
  }
  throw new Error('unreachable')
}

/** A valid SIRET derived from an integer (SIREN and NIC both Luhn-valid). */
export function siretFor(n: number): string {
  const siren = withLuhnDigit(String(100_000_00 + (n % 89_999_999)).padStart(8, '0'))
  return withLuhnDigit(siren + String(n % 10_000).padStart(4, '0'))
}

function tenantSizes(o: LoadOptions): number[] {
  const sizes = new Array(o.tenants).fill(0)
  let rest = o.contacts
  if (o.tenants >= 1) rest -= sizes[0] = Math.min(o.big, rest)
  if (o.tenants >= 2) rest -= sizes[1] = Math.min(o.medium, rest)
  const others = o.tenants - 2
  for (let i = 2; i < o.tenants; i++) sizes[i] = Math.floor(rest / others) + (i - 2 < rest % others ? 1 : 0)
  return sizes
}

const esc = (v: string | null): string =>
  v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')

const COMMUNES: [string, string][] = [
  ['75008', 'Paris'], ['75016', 'Paris'], ['75017', 'Paris'], ['92200', 'Neuilly-sur-Seine'], ['92300', 'Levallois-Perret'],
  ['92100', 'Boulogne-Billancourt'], ['92130', 'Issy-les-Moulineaux'], ['69006', 'Lyon'], ['13008', 'Marseille'], ['33000', 'Bordeaux'],
  ['31000', 'Toulouse'], ['44000', 'Nantes'], ['06000', 'Nice'], ['67000', 'Strasbourg'], ['59000', 'Lille'],
]
const STREETS = ['rue du Faubourg Saint-Honoré', 'avenue Charles de Gaulle', 'rue Anatole France', 'boulevard Haussmann', 'rue de Villiers',
  'avenue Victor Hugo', 'rue Marius Aufan', 'place de la République', 'rue Jean Jaurès', 'allée des Tilleuls']
const SOURCES = ['import', 'website', 'portal', 'referral', 'farming', 'phoning', 'event']
const DOMAINS = ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'outlook.fr', 'yahoo.fr', 'wanadoo.fr']
const COMPANY_SUFFIX = ['SARL', 'SAS', 'SCI', 'Conseil', 'Immobilier', 'Patrimoine', 'Gestion', 'Holding']
const NAF = ['68.10Z', '68.20A', '68.20B', '68.31Z', '68.32A', '41.10A', '70.22Z', '69.20Z']

export async function generateLoadData(sql: postgres.Sql, o: LoadOptions): Promise<LoadResult> {
  const log = o.log ?? (() => {})
  const prefix = o.prefix ?? 'load'
  const started = Date.now()
  const faker = fakerFR
  faker.seed(20261122)
  const firsts = Array.from(new Set(Array.from({ length: 400 }, () => faker.person.firstName()))).slice(0, 250)
  const lasts = Array.from(new Set(Array.from({ length: 600 }, () => faker.person.lastName()))).slice(0, 400)
  const sizes = tenantSizes(o)
  const tenantIds = sizes.map(() => randomUUID())
  const ownerIds = sizes.map(() => randomUUID())
  const now = Date.now()

  // Owners, tenants, memberships: small, batched inserts.
  for (let i = 0; i < tenantIds.length; i += 500) {
    const at = new Date(now)
    const part = tenantIds.slice(i, i + 500).map((_, k) => ({
      id: ownerIds[i + k], email: `owner+${prefix}${i + k}@load.immo-ai.test`, aud: 'authenticated', role: 'authenticated',
      email_confirmed_at: at, created_at: at, updated_at: at,
    }))
    await sql`insert into auth.users ${sql(part)}`
  }
  for (let i = 0; i < tenantIds.length; i += 500) {
    const part = tenantIds.slice(i, i + 500)
    await sql`insert into public.tenants ${sql(part.map((id, k) => ({ id, slug: `${prefix}-${i + k}`, legal_name: `Agence ${prefix} ${i + k}`, created_by: ownerIds[i + k] })))}`
    await sql`insert into public.tenant_members ${sql(part.map((id, k) => ({ tenant_id: id, user_id: ownerIds[i + k], role: 'owner' })))}`
  }
  log(`${tenantIds.length} tenants and owners in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const cols = ['id', 'tenant_id', 'kind', 'first_name', 'last_name', 'email', 'phone', 'company_name', 'siren', 'siret', 'naf_code',
    'address_line', 'postal_code', 'city', 'source', 'tags', 'owner_id', 'lifecycle_stage', 'email_consent', 'sms_consent',
    'last_activity_at', 'created_at', 'updated_at']
  const stages = ['prospect', 'prospect', 'prospect', 'lead', 'lead', 'qualified', 'client', 'former_client']
  const consents = ['unknown', 'unknown', 'opt_in', 'opt_out']
  let global = 0
  function* contactRows(): Generator<(string | null)[]> {
    for (let t = 0; t < tenantIds.length; t++) {
      for (let i = 0; i < sizes[t]; i++) {
        const g = global++
        const h = (g * 2654435761) >>> 0 // cheap deterministic spread
        const company = h % 10 === 0
        const first = firsts[h % firsts.length]
        const last = lasts[(h >>> 8) % lasts.length]
        const [cp, city] = COMMUNES[(h >>> 4) % COMMUNES.length]
        const plain = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '')
        const email = `${plain(first)}.${plain(last)}.${g.toString(36)}@${DOMAINS[(h >>> 12) % DOMAINS.length]}`
        // 06 numbers in ranges libphonenumber calls valid (60-62, 64-68), unique below 80 M
        const phone = `+336${'01245678'[Math.floor(g / 10_000_000) % 8]}${String(g % 10_000_000).padStart(7, '0')}`
        const siret = company ? siretFor(g) : null
        const activity = new Date(now - ((h % 63_072_000) * 1000)).toISOString()
        yield [
          randomUUID(), tenantIds[t], company ? 'company' : 'person', company ? null : first, company ? null : last, email, phone,
          company ? `${last} ${COMPANY_SUFFIX[(h >>> 16) % COMPANY_SUFFIX.length]}` : null, siret ? siret.slice(0, 9) : null, siret,
          company ? NAF[(h >>> 3) % NAF.length] : null, `${1 + (h % 180)} ${STREETS[(h >>> 6) % STREETS.length]}`, cp, city,
          SOURCES[(h >>> 10) % SOURCES.length], `{${(h >>> 20) % 3 === 0 ? 'vendeur' : 'acquereur'}}`, ownerIds[t],
          stages[(h >>> 5) % stages.length], consents[(h >>> 7) % consents.length], consents[(h >>> 9) % consents.length],
          activity, activity, activity,
        ]
      }
    }
  }
  const reserved = await sql.reserve()
  try {
    await reserved`set session_replication_role = replica`
    await reserved`set maintenance_work_mem = '512MB'`
    const stream = await reserved.unsafe(`copy public.contacts (${cols.join(', ')}) from stdin`).writable()
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject)
      stream.on('finish', resolve)
      const it = contactRows()
      let sent = 0
      const pump = () => {
        let chunk = ''
        for (let k = 0; k < 5000; k++) {
          const r = it.next()
          if (r.done) {
            if (chunk) stream.write(chunk)
            stream.end()
            return
          }
          chunk += r.value.map(esc).join('\t') + '\n'
          sent++
        }
        if (sent % 100_000 === 0) log(`${sent} contacts sent`)
        if (stream.write(chunk)) setImmediate(pump)
        else stream.once('drain', pump)
      }
      pump()
    })
    await reserved`set session_replication_role = origin`
  } finally {
    reserved.release()
  }
  log(`${o.contacts} contacts copied in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  await sql`select private.refresh_tenant_usage(id) from unnest(${tenantIds}::uuid[]) as id`
  return { tenantIds, ownerIds, sizes, seconds: (Date.now() - started) / 1000 }
}

function arg(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`))
  return a ? Number(a.split('=')[1]) : dflt
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = process.argv.find((x) => x.startsWith('--db-url='))?.slice(9) ?? process.env.SUPABASE_DB_URL
  if (!url) {
    console.error('Set SUPABASE_DB_URL or pass --db-url=')
    process.exit(2)
  }
  const sql = postgres(url, { max: 2, onnotice: () => {} })
  const opts: LoadOptions = {
    tenants: arg('tenants', 1000),
    contacts: arg('contacts', 1_000_000),
    big: arg('big', 200_000),
    medium: arg('medium', 50_000),
    prefix: process.argv.find((x) => x.startsWith('--prefix='))?.slice(9) ?? `load${Date.now().toString(36)}`,
    log: (m) => console.log(m),
  }
  generateLoadData(sql, opts)
    .then(async (r) => {
      await sql`vacuum analyze public.contacts`
      console.log(`done: ${r.tenantIds.length} tenants, ${opts.contacts} contacts in ${r.seconds.toFixed(1)} s (+ vacuum analyze)`)
      await sql.end()
    })
    .catch(async (e) => {
      console.error(e)
      await sql.end()
      process.exit(1)
    })
}
