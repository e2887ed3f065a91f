/**
 * Cost per generated message, and our overhead around a generation.
 *
 *   set -a; . <stack>/env.local; set +a
 *   node_modules/.bin/deno run -A --config supabase/functions/deno.json bench/ai-cost.ts [--n=50] [--channel=email]
 *
 * Runs N generations through the ai-generate handler (real `openai` SDK) for
 * one throwaway tenant of the running stack, against OPENAI_BASE_URL (the
 * provider sandbox) — or, when nothing answers there, the local fake from
 * _shared/ai/fake_openai.ts, which the output says. Then reads ai_usage:
 * average cost per generation and per message variant (target < €0.02), tokens,
 * and our overhead = handler time − provider call time (p50/p95, target < 50 ms).
 */
import OpenAI from 'openai'
import { SignJWT } from 'jose'
import { createPool } from '../supabase/functions/_shared/db.ts'
import { aiEnvSchema } from '../supabase/functions/_shared/ai/config.ts'
import { startFakeOpenAI } from '../supabase/functions/_shared/ai/fake_openai.ts'
import { serviceUsageRecorder } from '../supabase/functions/_shared/ai/usage.ts'
import { createLogger } from '../supabase/functions/_shared/log.ts'
import { createHandler } from '../supabase/functions/ai-generate/handler.ts'
import { percentile as pct } from './lib/stats.ts'

const arg = (name: string, d: string) => Deno.args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d
const N = Number(arg('n', '50'))
const CHANNEL = arg('channel', 'email')

const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 3)
let baseURL = Deno.env.get('OPENAI_BASE_URL')
let provider = `sandbox at ${baseURL}`
try {
  const r = await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(1000) })
  await r.body?.cancel()
  if (r.status >= 500) throw new Error(String(r.status))
} catch {
  const fake = startFakeOpenAI()
  baseURL = fake.baseURL
  provider = 'LOCAL FAKE (sandbox not reachable): 1000 prompt + 400 completion tokens per call'
}
const config = aiEnvSchema.parse({ ...Deno.env.toObject(), OPENAI_API_KEY: Deno.env.get('OPENAI_API_KEY') ?? 'sk-bench', OPENAI_BASE_URL: baseURL })
const logger = createLogger('bench', {}, { level: 'error' })
const handler = createHandler({
  sql,
  logger,
  ai: () => ({ openai: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL, maxRetries: 0 }), config, recordUsage: serviceUsageRecorder({ sql, logger }), logger }),
})

const slug = `bench-ai-${crypto.randomUUID().slice(0, 8)}`
const [user] = await sql`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${slug + '@bench.test'}, '{}', '{}', now(), now()) returning id`
const [tenant] = await sql`insert into tenants (slug, legal_name, city, plan, onboarding) values (${slug}, 'Agence Bench', 'Lyon', 'enterprise',
  ${sql.json({ questionnaire: { offer: 'Vente de locaux commerciaux', differentiators: ['Réseau de 300 investisseurs'], tone: 'direct' }, market_facts: ['Loyer moyen des bureaux à Lyon : 290 €/m²/an'] })}) returning id`
await sql`insert into tenant_members (tenant_id, user_id, role) values (${tenant.id}, ${user.id}, 'owner')`
const contacts = await sql`insert into contacts (tenant_id, kind, first_name, last_name, company_name, city)
  select ${tenant.id}, 'person', 'Prénom' || i, 'Nom' || i, 'Société ' || i, 'Lyon' from generate_series(1, ${N}) i returning id`
const token = await new SignJWT({ sub: user.id, role: 'authenticated', aud: 'authenticated' }).setProtectedHeader({ alg: 'HS256' })
  .setExpirationTime('1h').sign(new TextEncoder().encode(Deno.env.get('SUPABASE_JWT_SECRET')!))

const totals: number[] = []
let failed = 0
for (const c of contacts) {
  const t0 = performance.now()
  const res = await handler(new Request('http://bench/ai-generate', {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: tenant.id, contact_id: c.id, channel: CHANNEL, language: 'fr' }),
  }))
  const body = await res.json()
  totals.push(performance.now() - t0)
  if (res.status !== 200 || body.fallback) failed++
}
const usage = await sql`select cost_eur::float8 as cost, prompt_tokens, completion_tokens, latency_ms, outcome::text, model from ai_usage where tenant_id = ${tenant.id} order by created_at`
const ok = usage.filter((u) => u.outcome === 'ok')
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const overhead = totals.map((t, i) => t - (usage[i]?.latency_ms ?? 0))
const perGen = avg(ok.map((u) => u.cost))
console.log(`provider: ${provider}; model: ${ok[0]?.model ?? '-'}; channel: ${CHANNEL}`)
console.log(`generations: ${N} (${ok.length} ok, ${failed} failed or fallback)`)
console.log(`tokens per generation: ${avg(ok.map((u) => u.prompt_tokens)).toFixed(0)} prompt + ${avg(ok.map((u) => u.completion_tokens)).toFixed(0)} completion`)
console.log(`average cost per generation (3 variants): €${perGen.toFixed(6)}; per message variant: €${(perGen / 3).toFixed(6)} (target < €0.02 per message)`)
console.log(`handler time p50 ${pct(totals, 50).toFixed(1)} ms, p95 ${pct(totals, 95).toFixed(1)} ms; our overhead (handler − provider call) p50 ${pct(overhead, 50).toFixed(1)} ms, p95 ${pct(overhead, 95).toFixed(1)} ms`)
await sql`delete from tenants where id = ${tenant.id}`
await sql`delete from auth.users where id = ${user.id}`
await sql.end()
Deno.exit(0)
