/** Vault on the stack: the secrets the jobs read, encryption at rest, and who may see them. */
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { adminSql, client, env } from '../helpers/stack.ts'

const sql = adminSql()
const names: string[] = []
afterAll(async () => {
  await sql`delete from vault.secrets where name = any(${sql.array(names)})`
  await sql.end()
})
const fresh = (label: string) => {
  const n = `test_${label}_${randomBytes(4).toString('hex')}`
  names.push(n)
  return n
}

const asRole = (role: string, query: string) =>
  sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`)
    return tx.unsafe(query)
  })

describe('vault secrets', () => {
  it('holds project_url and service_role_key for the edge-function jobs', async () => {
    const rows = await sql`select name, decrypted_secret from vault.decrypted_secrets
      where name in ('project_url', 'service_role_key') order by name`
    expect(rows).toEqual([
      { name: 'project_url', decrypted_secret: env('SUPABASE_URL') },
      { name: 'service_role_key', decrypted_secret: env('SUPABASE_SERVICE_ROLE_KEY') },
    ])
  })

  it('stores secrets encrypted: vault.secrets.secret is not the plain text', async () => {
    const name = fresh('cipher')
    const [{ id }] = await sql`select vault.create_secret('très secret', ${name}, 'a test') as id`
    const [row] = await sql`select secret, description from vault.secrets where id = ${id}`
    expect(row.secret).not.toContain('très secret')
    expect(row.description).toBe('a test')
    const [d] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${id}`
    expect(d.decrypted_secret).toBe('très secret')
  })

  it('update_secret changes the value, the name and updated_at', async () => {
    const name = fresh('upd')
    const renamed = fresh('upd_renamed')
    const [{ id }] = await sql`select vault.create_secret('v1', ${name}) as id`
    const [before] = await sql`select updated_at from vault.secrets where id = ${id}`
    await sql`select vault.update_secret(${id}, 'v2', ${renamed})`
    const [after] = await sql`select name, decrypted_secret, description, updated_at from vault.decrypted_secrets where id = ${id}`
    expect(after).toMatchObject({ name: renamed, decrypted_secret: 'v2', description: '' })
    expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime())
    // Omitted arguments keep their values.
    await sql`select vault.update_secret(${id}, new_description => 'described')`
    const [kept] = await sql`select name, decrypted_secret, description from vault.decrypted_secrets where id = ${id}`
    expect(kept).toEqual({ name: renamed, decrypted_secret: 'v2', description: 'described' })
  })

  it('secret names are unique', async () => {
    const name = fresh('dup')
    await sql`select vault.create_secret('a', ${name})`
    await expect(sql`select vault.create_secret('b', ${name})`).rejects.toThrow(/duplicate key|unique/)
  })

  it('service_role reads decrypted secrets and creates them', async () => {
    const name = fresh('svc')
    const got = await sql.begin(async (tx) => {
      await tx`set local role service_role`
      await tx`select vault.create_secret('from service', ${name})`
      return tx`select decrypted_secret from vault.decrypted_secrets where name = ${name}`
    })
    expect(got).toEqual([{ decrypted_secret: 'from service' }])
  })

  for (const role of ['anon', 'authenticated']) {
    it(`${role} can read no secret, decrypted or not, nor create one`, async () => {
      await expect(asRole(role, `select * from vault.decrypted_secrets`)).rejects.toThrow(/permission denied/)
      await expect(asRole(role, `select * from vault.secrets`)).rejects.toThrow(/permission denied/)
      await expect(asRole(role, `select vault.create_secret('x', 'y')`)).rejects.toThrow(/permission denied/)
      await expect(asRole(role, `select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'`)).rejects.toThrow(/permission denied/)
    })
  }

  it('the local encryption key is out of reach of service_role', async () => {
    await expect(asRole('service_role', `select * from vault._local_key`)).rejects.toThrow(/permission denied/)
  })

  it('the REST API does not expose the vault schema', async () => {
    const { data, error } = await client('anon').schema('vault').from('decrypted_secrets').select('*')
    expect(data).toBeNull()
    expect(error).not.toBeNull()
  })
})
