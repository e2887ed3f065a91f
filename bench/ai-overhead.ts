/**
 * Our overhead around a generation, and the time to the first streamed token.
 *
 *   npx tsx bench/ai-overhead.ts [--n=40]      starts a throwaway local stack, then runs the measure under Deno
 *   (with a stack's env already loaded: node_modules/.bin/deno run -A --config supabase/functions/deno.json bench/ai-overhead.ts)
 *
 * N stream-mode generations through the ai-generate handler (in process, the
 * real `openai` SDK against the stack's provider sandbox), for a throwaway
 * tenant. The SDK's fetch is wrapped to time the provider exchange exactly
 * (request sent → last byte of its SSE answer). For each generation:
 *   overhead = handler time (request → last byte of our SSE answer) − provider time
 * i.e. auth, membership, context reads, budget, prompt building, output
 * validation and checks, the ai_usage and ai_generations writes. Target p95 < 50 ms.
 * Time to first token: request → first `delta` event out of the handler,
 * against its physical limit, the provider's own first content chunk; and the
 * same through the gateway's functions relay (HTTP, the path the browser takes).
 */
import { percentile as pct } from './lib/stats.ts'

const argN = (argv: string[]) => Number(argv.find((a) => a.startsWith('--n='))?.split('=')[1] ?? '40')

declare const Deno: { args: string[]; env: { get(k: string): string | undefined; toObject(): Record<string, string> }; exit(c: number): never } | undefined

if (typeof Deno === 'undefined') {
  // Node: a throwaway stack, then this file under Deno with its environment.
  const { mkdtempSync, chmodSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { spawn } = await import('node:child_process')
  const { startStack } = await import('../scripts/local-stack/stack.ts')
  const root = join(import.meta.dirname, '..')
  const tmp = mkdtempSync(join(tmpdir(), 'immo-ai-bench-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, log: () => {} })
  try {
    // Asynchronous: the gateway and the sandbox live in this process and must keep answering.
    const child = spawn(join(root, 'node_modules/.bin/deno'), ['run', '-A', '--config', 'supabase/functions/deno.json', 'bench/ai-overhead.ts', `--n=${argN(process.argv)}`],
      { cwd: root, env: { ...process.env, ...stack.env, NO_COLOR: '1' }, stdio: 'inherit' })
    process.exitCode = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
  } finally {
    await stack.stop()
  }
} else {
  const OpenAI = (await import('openai')).default
  const { SignJWT } = await import('jose')
  const { createPool } = await import('../supabase/functions/_shared/db.ts')
  const { aiEnvSchema } = await import('../supabase/functions/_shared/ai/config.ts')
  const { CircuitBreaker } = await import('../supabase/functions/_shared/ai/breaker.ts')
  const { serviceUsageRecorder } = await import('../supabase/functions/_shared/ai/usage.ts')
  const { createLogger } = await import('../supabase/functions/_shared/log.ts')
  const { createHandler } = await import('../supabase/functions/ai-generate/handler.ts')

  const N = argN(Deno.args)
  const env = (k: string) => Deno!.env.get(k) ?? ''
  const baseURL = env('OPENAI_BASE_URL')
  if (!baseURL) throw new Error('OPENAI_BASE_URL is not set: run `npx tsx bench/ai-overhead.ts`')
  const sql = createPool(env('SUPABASE_DB_URL'), 4)
  const config = aiEnvSchema.parse({ ...Deno.env.toObject(), OPENAI_BASE_URL: baseURL })
  const logger = createLogger('bench', {}, { level: 'error' })

  // Provider timing: request sent → first content chunk → last byte.
  let current = { start: 0, firstChunk: 0, end: 0 }
  const timedFetch: typeof fetch = async (input, init) => {
    const t = { start: performance.now(), firstChunk: 0, end: 0 }
    current = t
    const res = await fetch(input, init)
    if (!res.body) {
      t.end = performance.now()
      return res
    }
    const decoder = new TextDecoder()
    const body = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        if (!t.firstChunk && /"content":"[^"]/.test(decoder.decode(chunk))) t.firstChunk = performance.now()
        c.enqueue(chunk)
      },
      flush() {
        t.end = performance.now()
      },
    }))
    return new Response(body, { status: res.status, headers: res.headers })
  }
  const breaker = new CircuitBreaker({ threshold: 1000, cooldownMs: 60_000 })
  const handler = createHandler({
    sql,
    logger,
    ai: () => ({ openai: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL, maxRetries: 0, fetch: timedFetch }), config, recordUsage: serviceUsageRecorder({ sql, logger }), logger, breaker: () => breaker }),
  })

  const slug = `bench-ovh-${crypto.randomUUID().slice(0, 8)}`
  const [user] = await sql`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${slug + '@bench.test'}, '{}', '{"full_name":"Claire Martin"}', now(), now()) returning id`
  const [tenant] = await sql`insert into tenants (slug, legal_name, city, plan, onboarding) values (${slug}, 'Agence Bench', 'Lyon', 'enterprise',
    ${sql.json({ questionnaire: { offer: 'Vente de logements familiaux', tone: 'warm', objective: 'valuation' }, market_facts: ['Prix médian à Lyon 6e : 6 200 €/m²'] })}) returning id`
  await sql`insert into tenant_members (tenant_id, user_id, role) values (${tenant.id}, ${user.id}, 'owner')`
  await sql`insert into ai_guidelines (tenant_id, text, created_by) values (${tenant.id}, 'Toujours vouvoyer', ${user.id})`
  const contacts = await sql`insert into contacts (tenant_id, kind, first_name, last_name, city)
    select ${tenant.id}, 'person', 'Prénom' || i, 'Nom' || i, 'Lyon' from generate_series(1, ${2 * N + 3}) i returning id`
  const token = await new SignJWT({ sub: user.id, role: 'authenticated', aud: 'authenticated', user_metadata: { full_name: 'Claire Martin' } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(env('SUPABASE_JWT_SECRET')))

  /** One stream-mode generation; times are relative to the request. */
  async function once(contactId: string, call: (body: string) => Promise<Response>, stream = true) {
    const t0 = performance.now()
    const res = await call(JSON.stringify({ tenant_id: tenant.id, contact_id: contactId, channel: 'email', stream }))
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let firstDelta = 0
    let text = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (value) {
        text += decoder.decode(value, { stream: true })
        if (!firstDelta && text.includes('event: delta')) firstDelta = performance.now()
      }
      if (done) break
    }
    const total = performance.now() - t0
    const ok = res.status === 200 && (!stream || /event: result/.test(text)) && !/"fallback":true/.test(text)
    return { ok, total, ttft: firstDelta - t0, provider: current.end - current.start, providerTtft: current.firstChunk - current.start }
  }
  const direct = (body: string) => handler(new Request('http://bench/ai-generate', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body }))
  const relayed = (body: string) => fetch(`${env('SUPABASE_URL')}/functions/v1/ai-generate`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, apikey: env('SUPABASE_ANON_KEY'), 'content-type': 'application/json', accept: 'text/event-stream' }, body,
  })

  for (const c of contacts.slice(0, 3)) await once(c.id, direct) // warm-up: pools, JIT, breaker
  const runs = []
  for (const c of contacts.slice(3, N + 3)) runs.push(await once(c.id, direct))
  // The same without streaming (one JSON answer), to separate stream mode from the rest.
  const plain = []
  for (const c of contacts.slice(N + 3)) plain.push(await once(c.id, direct, false))
  const plainOverhead = plain.filter((r) => r.ok).map((r) => r.total - r.provider)
  const good = runs.filter((r) => r.ok)
  const overhead = good.map((r) => r.total - r.provider)
  const ttftGap = good.map((r) => r.ttft - r.providerTtft)

  // Through the gateway relay (what the browser does): first delta only.
  const relayRuns: number[] = []
  let relayNote = ''
  await relayed(JSON.stringify({ tenant_id: tenant.id, contact_id: contacts[0]!.id, channel: 'email', stream: true })).then((r) => r.text()) // boots the function's worker
  for (const c of contacts.slice(3, 13)) {
    const t0 = performance.now()
    const res = await relayed(JSON.stringify({ tenant_id: tenant.id, contact_id: c.id, channel: 'email', stream: true }))
    if (res.status !== 200) {
      relayNote = `relay answered ${res.status}: ${(await res.text()).slice(0, 120)}`
      break
    }
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let acc = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (value) acc += decoder.decode(value, { stream: true })
      if (acc.includes('event: delta')) {
        relayRuns.push(performance.now() - t0)
        await reader.cancel()
        break
      }
      if (done) break
    }
  }

  const f = (x: number) => x.toFixed(1).padStart(7)
  console.log(`ai-overhead: ${good.length}/${runs.length} stream-mode generations ok (e-mail, 3 variants), provider: sandbox at ${baseURL}`)
  console.log(`handler total      p50 ${f(pct(good.map((r) => r.total), 50))} ms   p95 ${f(pct(good.map((r) => r.total), 95))} ms`)
  console.log(`provider exchange  p50 ${f(pct(good.map((r) => r.provider), 50))} ms   p95 ${f(pct(good.map((r) => r.provider), 95))} ms`)
  console.log(`our overhead       p50 ${f(pct(overhead, 50))} ms   p95 ${f(pct(overhead, 95))} ms   target < 50 ms p95 → ${(pct(overhead, 95) / 50 * 100).toFixed(0)} % of the budget`)
  console.log(`  without streaming p50 ${f(pct(plainOverhead, 50))} ms   p95 ${f(pct(plainOverhead, 95))} ms (${plainOverhead.length} JSON-mode generations)`)
  console.log(`first token to us  p50 ${f(pct(good.map((r) => r.ttft), 50))} ms   p95 ${f(pct(good.map((r) => r.ttft), 95))} ms (handler, in process)`)
  console.log(`provider 1st chunk p50 ${f(pct(good.map((r) => r.providerTtft), 50))} ms   p95 ${f(pct(good.map((r) => r.providerTtft), 95))} ms (physical limit: we cannot show a token before the provider sends it)`)
  console.log(`  ratio first delta / provider first chunk: p50 ${(pct(good.map((r) => r.ttft / r.providerTtft), 50)).toFixed(2)}×; added before the first token p50 ${f(pct(ttftGap, 50))} ms, p95 ${f(pct(ttftGap, 95))} ms`)
  if (relayRuns.length) console.log(`first delta through the gateway relay (HTTP) p50 ${f(pct(relayRuns, 50))} ms   p95 ${f(pct(relayRuns, 95))} ms over ${relayRuns.length} requests`)
  else console.log(`gateway relay not measured: ${relayNote || 'no delta'}`)
  await sql.end()
}
