/**
 * Platform bootstrap (local only) and the migrations runner, with the Supabase
 * CLI's semantics: every `supabase/migrations/*.sql` applied once in name
 * order, recorded in `supabase_migrations.schema_migrations`, then the seed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import postgres from 'postgres'
import { parse as parseToml } from 'smol-toml'
import { ROOT } from './config.ts'

const BOOTSTRAP_DIR = join(import.meta.dirname, 'bootstrap')
export const MIGRATIONS_DIR = join(ROOT, 'supabase/migrations')

/**
 * The seed files, as the Supabase CLI reads them: `[db.seed] sql_paths` of config.toml,
 * relative to `supabase/`, a `*` in the last segment matching files of that folder (sorted).
 */
export function seedFiles(): string[] {
  const config = parseToml(readFileSync(join(ROOT, 'supabase/config.toml'), 'utf8')) as { db?: { seed?: { enabled?: boolean; sql_paths?: string[] } } }
  const seed = config.db?.seed
  if (seed?.enabled === false) return []
  const out: string[] = []
  for (const pattern of seed?.sql_paths ?? ['./seed.sql']) {
    const full = join(ROOT, 'supabase', pattern)
    const name = basename(full)
    if (!name.includes('*')) {
      if (existsSync(full)) out.push(full)
      continue
    }
    const re = new RegExp(`^${name.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
    out.push(...sqlFiles(dirname(full)).filter((f) => re.test(f)).map((f) => join(dirname(full), f)))
  }
  return out
}

type Sql = postgres.Sql

function sqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
}

async function runFile(sql: Sql, file: string): Promise<void> {
  try {
    await sql.unsafe(readFileSync(file, 'utf8'))
  } catch (e) {
    const err = e as postgres.PostgresError
    const where = err.position ? ` at character ${err.position}` : ''
    throw new Error(`${file}${where}: ${err.message}${err.detail ? ` (${err.detail})` : ''}`)
  }
}

/** Creates roles, auth/storage/extensions schemas and the stand-ins. Safe to run again. */
export async function bootstrap(sql: Sql, settings: { projectUrl: string; serviceRoleKey: string }): Promise<void> {
  for (const f of sqlFiles(BOOTSTRAP_DIR)) await runFile(sql, join(BOOTSTRAP_DIR, f))
  // Where edge functions live, for pg_cron → pg_net → functions. On Supabase these two
  // Vault secrets are created once per project (docs/deploy.md).
  const hasVault = await sql`select to_regprocedure('vault.create_secret(text,text,text)') is not null as ok`
  if (hasVault[0].ok) {
    for (const [name, value] of [['project_url', settings.projectUrl], ['service_role_key', settings.serviceRoleKey]]) {
      await sql`
        with gone as (delete from vault.secrets where name = ${name})
        select vault.create_secret(${value}, ${name}, 'written by the local stack')`
    }
  }
}

export interface MigrateResult {
  applied: string[]
  seeded: boolean
}

/** Applies pending migrations; seeds when the database had none applied before. */
export async function migrate(sql: Sql, opts: { seed?: boolean; log?: (m: string) => void } = {}): Promise<MigrateResult> {
  await sql.unsafe(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key, statements text[], name text
    );`)
  const done = new Set((await sql`select version from supabase_migrations.schema_migrations`).map((r) => r.version))
  const fresh = done.size === 0
  const applied: string[] = []
  for (const f of sqlFiles(MIGRATIONS_DIR)) {
    const m = /^(\d+)_(.+)\.sql$/.exec(f)
    if (!m) throw new Error(`Migration file name must be <timestamp>_<name>.sql: ${f}`)
    const [, version, name] = m
    if (done.has(version)) continue
    const body = readFileSync(join(MIGRATIONS_DIR, f), 'utf8')
    await sql.begin(async (tx) => {
      try {
        await tx.unsafe(body)
      } catch (e) {
        const err = e as postgres.PostgresError
        throw new Error(`migration ${f}${err.position ? ` at character ${err.position}` : ''}: ${err.message}`)
      }
      await tx`insert into supabase_migrations.schema_migrations (version, name, statements) values (${version}, ${name}, ${[body]})`
    })
    applied.push(f)
    opts.log?.(`applied ${f}`)
  }
  let seeded = false
  if (fresh && opts.seed !== false) {
    for (const f of seedFiles()) {
      await runFile(sql, f)
      seeded = true
      opts.log?.(`seeded ${relative(ROOT, f)}`)
    }
    // Planner statistics for the freshly seeded tables, as autovacuum would gather them a little
    // later on a hosted database. Without them a trigger's cached generic plan can pick a
    // tenant-only index for an (tenant, e-mail) lookup and scan every contact of the tenant per
    // imported row (measured: the duplicate check at 0.5 ms/row on 2,000 contacts).
    if (seeded) await sql`analyze`
  }
  // PostgREST-compatible servers refresh their schema cache on this notification.
  await sql`notify pgrst, 'reload schema'`
  return { applied, seeded }
}
