/**
 * @supabase/ssr createServerClient over a cookie jar (contract case 80): the
 * session cookie `sb-127-auth-token` is `base64-` encoded and chunked past
 * 3180 characters; a fresh server client built from the jar gets the user.
 */
import { createServerClient } from '@supabase/ssr'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { client, env } from '../helpers/stack.ts'
import { email, PASSWORD } from './auth-fixture.ts'

type Jar = Map<string, string>

function serverClient(jar: Jar) {
  return createServerClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
    realtime: { transport: WebSocket as never },
    cookies: {
      getAll: () => [...jar].map(([name, value]) => ({ name, value })),
      setAll: (list) => {
        for (const { name, value, options } of list) {
          if (options?.maxAge === 0 || value === '') jar.delete(name)
          else jar.set(name, value)
        }
      },
    },
  })
}

async function userWithBigMetadata(size: number) {
  const address = email('ssr')
  const { error } = await client('service').auth.admin.createUser({
    email: address, password: PASSWORD, email_confirm: true, user_metadata: { bio: 'é'.repeat(size) },
  })
  if (error) throw error
  return address
}

describe('@supabase/ssr cookie round-trip', () => {
  it('chunks a big session cookie and reads it back in a new server client', async () => {
    const address = await userWithBigMetadata(1500)
    const jar: Jar = new Map()
    const first = serverClient(jar)
    const { error } = await first.auth.signInWithPassword({ email: address, password: PASSWORD })
    expect(error).toBeNull()
    const names = [...jar.keys()].sort()
    expect(names).toContain('sb-127-auth-token.0')
    expect(names).toContain('sb-127-auth-token.1')
    expect(jar.has('sb-127-auth-token')).toBe(false)
    expect(jar.get('sb-127-auth-token.0')!.startsWith('base64-')).toBe(true)
    const joined = [...jar].filter(([k]) => /^sb-127-auth-token\.\d+$/.test(k)).sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v).join('')
    const session = JSON.parse(Buffer.from(joined.slice('base64-'.length), 'base64url').toString('utf8'))
    expect(session.user.email).toBe(address)

    const second = serverClient(new Map(jar))
    const { data, error: e2 } = await second.auth.getUser()
    expect(e2).toBeNull()
    expect(data.user!.email).toBe(address)
    expect(data.user!.user_metadata.bio).toHaveLength(1500)
  })

  it('a small session stays in one cookie; signOut clears the jar', async () => {
    const address = await userWithBigMetadata(1)
    const jar: Jar = new Map()
    const c = serverClient(jar)
    await c.auth.signInWithPassword({ email: address, password: PASSWORD })
    expect(jar.has('sb-127-auth-token')).toBe(true)
    const { error } = await serverClient(jar).auth.signOut()
    expect(error).toBeNull()
    expect([...jar.keys()].filter((k) => k.startsWith('sb-127-auth-token'))).toEqual([])
    const after = await serverClient(jar).auth.getUser()
    expect(after.data.user).toBeNull()
  })

})
