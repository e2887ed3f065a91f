/** The platform bootstrap and the migrations runner on the live test cluster. */
import { afterAll, describe, expect, it } from 'vitest'
import { bootstrap, migrate } from '../../scripts/local-stack/migrate.ts'
import { adminSql, env } from '../helpers/stack.ts'

const sql = adminSql()
afterAll(() => sql.end())

describe('platform bootstrap', () => {
  it('is idempotent: a second run changes nothing (objects, grants, default privileges) and fails nowhere', async () => {
    const snapshot = () => sql`
      select (select count(*) from pg_roles) as roles,
             (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname in ('auth','storage','extensions','pgmq','net','vault')) as relations,
             (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname in ('auth','storage','pgmq','net','vault','private')) as functions,
             (select string_agg(grantee || ':' || table_name || ':' || privilege_type, ',' order by grantee, table_name, privilege_type)
                from information_schema.role_table_grants
               where table_schema = 'public' and grantee in ('anon', 'authenticated')) as grants,
             (select string_agg(defaclacl::text, ',' order by defaclacl::text) from pg_default_acl) as default_acls`
    const before = await snapshot()
    await bootstrap(sql, { projectUrl: env('SUPABASE_URL'), serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY') })
    expect(await snapshot()).toEqual(before)
  })

  it('has the Supabase roles with the right attributes', async () => {
    const roles = await sql`select rolname, rolcanlogin, rolbypassrls, rolinherit from pg_roles
      where rolname in ('anon','authenticated','service_role','authenticator') order by rolname`
    expect(roles).toEqual([
      { rolname: 'anon', rolcanlogin: false, rolbypassrls: false, rolinherit: false },
      { rolname: 'authenticated', rolcanlogin: false, rolbypassrls: false, rolinherit: false },
      { rolname: 'authenticator', rolcanlogin: true, rolbypassrls: false, rolinherit: false },
      { rolname: 'service_role', rolcanlogin: false, rolbypassrls: true, rolinherit: false },
    ])
    const members = await sql`select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid
      join pg_roles u on u.oid = m.member where u.rolname = 'authenticator' order by 1`
    expect(members.map((m) => m.rolname)).toEqual(['anon', 'authenticated', 'service_role'])
  })

  it('auth.uid(), auth.role(), auth.jwt() read request.jwt.claims as Supabase does', async () => {
    const claims = { sub: '6f1c1c9e-9a43-4a55-8a0c-5f2d3c1b7a10', role: 'authenticated', email: 'a@b.fr' }
    const [r] = await sql.begin((tx) => [
      tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`,
      tx`select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'email' as jwt_email`,
    ]).then((rs) => rs[1] as unknown as Record<string, unknown>[])
    expect(r).toEqual({ uid: claims.sub, role: 'authenticated', email: 'a@b.fr', jwt_email: 'a@b.fr' })
    const [none] = await sql`select auth.uid() as uid`
    expect(none.uid).toBeNull()
  })

  it('runs with logical replication, pg_cron preloaded and the realtime publication', async () => {
    const [s] = await sql`select current_setting('wal_level') as wal, current_setting('shared_preload_libraries') as spl`
    expect(s).toEqual({ wal: 'logical', spl: 'pg_cron' })
    const pub = await sql`select pubname from pg_publication where pubname = 'supabase_realtime'`
    expect(pub).toHaveLength(1)
  })
})

describe('migrations runner', () => {
  it('recorded every migration file once, in name order, and a re-run applies nothing', async () => {
    const rows = await sql`select version, name from supabase_migrations.schema_migrations order by version`
    const again = await migrate(sql, { seed: false })
    expect(again.applied).toEqual([])
    expect(rows.map((r) => r.version)).toEqual([...rows.map((r) => r.version)].sort())
  })
})

describe('pg_cron', () => {
  it('fires a scheduled job and records its run', { timeout: 80_000 }, async () => {
    await sql`create table if not exists public._cron_probe (id serial primary key, at timestamptz default now())`
    await sql`select cron.unschedule(jobid) from cron.job where jobname = 'probe'`
    // Debian's pg_cron has minute granularity: the job fires at the next minute boundary.
    await sql`select cron.schedule('probe', '* * * * *', 'insert into public._cron_probe default values')`
    const deadline = Date.now() + 75_000
    let runs: { status: string }[] = []
    while (Date.now() < deadline) {
      runs = await sql`select d.status from cron.job_run_details d join cron.job j using (jobid) where j.jobname = 'probe'`
      if (runs.some((r) => r.status === 'succeeded')) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    expect(runs.map((r) => r.status)).toContain('succeeded')
    const [p] = await sql`select count(*)::int as n from public._cron_probe`
    expect(p.n).toBeGreaterThanOrEqual(1)
    await sql`select cron.unschedule('probe')`
    await sql`drop table public._cron_probe`
  })
})
