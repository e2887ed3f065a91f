import assert from 'node:assert/strict'
import { closeDb, createPool, db, withService, withUser } from './db.ts'
import { createLogger } from './log.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }
const sub = '6f1c1c9e-9a43-4a55-8a0c-5f2d3c1b7a10'

Deno.test({ name: 'db: the pool is built for the transaction pooler (no prepared statements)', ...opts, fn: async () => {
  assert.equal(db().options.prepare, false)
  await closeDb()
} })

Deno.test({ name: 'db: withUser runs as authenticated with the caller claims, then resets', ...opts, fn: async () => {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 1)
  try {
    const claims = { sub, role: 'authenticated', email: 'agent@agence.fr' }
    const [r] = await withUser(claims, (tx) => tx`
      select current_user as role, auth.uid()::text as uid, auth.jwt() ->> 'email' as email,
             current_setting('request.jwt.claims', true)::jsonb ->> 'role' as claim_role`, sql)
    assert.deepEqual({ ...r }, { role: 'authenticated', uid: sub, email: 'agent@agence.fr', claim_role: 'authenticated' })
    // Same single connection: the settings were local to the transaction.
    const [after] = await sql`select current_user as role, nullif(current_setting('request.jwt.claims', true), '') as claims`
    assert.deepEqual({ ...after }, { role: 'postgres', claims: null })
  } finally {
    await sql.end()
  }
} })

Deno.test({ name: 'db: withUser is bound by privileges; withService is not, and logs its reason', ...opts, fn: async () => {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 1)
  const lines: Record<string, unknown>[] = []
  const logger = createLogger('db-test', {}, { sink: (l) => lines.push(JSON.parse(l)) })
  try {
    await assert.rejects(
      withUser({ sub, role: 'authenticated' }, (tx) => tx`select count(*) from vault.decrypted_secrets`, sql),
      /permission denied/,
    )
    const [r] = await withService('read the project url for a test', (tx) => tx`
      select current_user as role, (select count(*)::int from vault.decrypted_secrets where name = 'project_url') as n`, { sql, logger })
    assert.deepEqual({ ...r }, { role: 'service_role', n: 1 })
    assert.equal(lines.length, 1)
    assert.deepEqual(lines[0].context, { reason: 'read the project url for a test' })
  } finally {
    await sql.end()
  }
} })

Deno.test({ name: 'db: withUser refuses non-user roles and withService needs a reason', ...opts, fn: async () => {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 1)
  try {
    await assert.rejects(withUser({ sub, role: 'service_role' }, (tx) => tx`select 1`, sql), /user's claims/)
    await assert.rejects(withService('  ', (tx) => tx`select 1`, { sql }), /reason/)
    const [anon] = await withUser({ role: 'anon' }, (tx) => tx`select current_user as role`, sql)
    assert.equal(anon.role, 'anon')
  } finally {
    await sql.end()
  }
} })

Deno.test({ name: 'db: a throw inside withUser rolls the transaction back', ...opts, fn: async () => {
  const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 1)
  try {
    await sql`create temporary table if not exists db_test_probe (n int)`
    await sql`grant all on db_test_probe to service_role`
    await assert.rejects(
      withService('rollback probe', async (tx) => {
        await tx`insert into db_test_probe values (1)`
        throw new Error('abort')
      }, { sql, logger: createLogger('t', {}, { sink: () => {} }) }),
      /abort/,
    )
    const [c] = await sql`select count(*)::int as n from db_test_probe`
    assert.equal(c.n, 0)
  } finally {
    await sql.end()
  }
} })
