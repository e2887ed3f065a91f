/**
 * ai-generate end to end against the stack database, through the real
 * `openai` SDK: the stack's provider sandbox when it answers at
 * OPENAI_BASE_URL, else a local OpenAI-compatible fake (fake_openai.ts).
 * Budget thresholds (80 % warning once, 120 % refusal, Enterprise exempt)
 * are checked through the same handler.
 */
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { SignJWT } from 'jose'
import { createPool } from '../_shared/db.ts'
import { aiEnvSchema } from '../_shared/ai/config.ts'
import { CircuitBreaker } from '../_shared/ai/breaker.ts'
import type { AiDeps } from '../_shared/ai/client.ts'
import { startFakeOpenAI } from '../_shared/ai/fake_openai.ts'
import { serviceUsageRecorder } from '../_shared/ai/usage.ts'
import { createHandler } from './handler.ts'

const opts = { sanitizeResources: false, sanitizeOps: false }
const sql = createPool(Deno.env.get('SUPABASE_DB_URL')!, 3)
const secret = Deno.env.get('SUPABASE_JWT_SECRET')!

async function sandboxUp(url: string | undefined): Promise<boolean> {
  if (!url) return false
  try {
    const r = await fetch(`${url}/models`, { headers: { authorization: 'Bearer sk-sandbox' }, signal: AbortSignal.timeout(1000) })
    await r.body?.cancel()
    return r.status < 500
  } catch {
    return false
  }
}

async function world(plan = 'trial') {
  const slug = `ai-${crypto.randomUUID().slice(0, 8)}`
  const [user] = await sql`
    insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${slug + '@ai.test'}, '{}', '{"full_name":"Claire Martin"}', now(), now())
    returning id`
  const [tenant] = await sql`
    insert into public.tenants (slug, legal_name, display_name, city, plan)
    values (${slug}, 'Agence du Parc SARL', 'Agence du Parc', 'Neuilly-sur-Seine', ${plan}) returning id`
  await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${tenant.id}, ${user.id}, 'owner')`
  const [contact] = await sql`
    insert into public.contacts (tenant_id, kind, first_name, last_name, city, tags)
    values (${tenant.id}, 'person', 'Anne', 'Aubert', 'Levallois-Perret', '{proprietaire}') returning id`
  const [nameless] = await sql`insert into public.contacts (tenant_id, kind, email) values (${tenant.id}, 'person', ${slug + '-x@example.fr'}) returning id`
  const token = await new SignJWT({ sub: user.id, role: 'authenticated', aud: 'authenticated', user_metadata: { full_name: 'Claire Martin' } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
  return { tenantId: tenant.id as string, userId: user.id as string, contactId: contact.id as string, namelessId: nameless.id as string, token }
}

// The stack's provider sandbox when it runs; the local fake otherwise.
const SANDBOX = await sandboxUp(Deno.env.get('OPENAI_BASE_URL'))

async function harness() {
  const sandbox = SANDBOX
  const fake = sandbox ? undefined : startFakeOpenAI()
  const baseURL = sandbox ? Deno.env.get('OPENAI_BASE_URL')! : fake!.baseURL
  const config = aiEnvSchema.parse({ OPENAI_API_KEY: Deno.env.get('OPENAI_API_KEY') ?? 'sk-test', OPENAI_BASE_URL: baseURL, AI_BACKOFF_BASE_MS: '1' })
  const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 60_000 })
  const ai = (): AiDeps => ({ openai: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL, maxRetries: 0 }), config, recordUsage: serviceUsageRecorder({ sql }), breaker: () => breaker })
  const handler = createHandler({ sql, ai })
  const post = (token: string, body: unknown) =>
    handler(new Request('http://fn.local/ai-generate', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }))
  return { post, fake, sandbox, breaker, close: () => fake?.close() }
}

Deno.test({ name: 'ai-generate: three variants with checks and facts, an ai_generations row and a charged ai_usage row', ...opts, fn: async () => {
  const h = await harness()
  try {
    const w = await world()
    const res = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email', language: 'fr' })
    const body = await res.json()
    assert.equal(res.status, 200, JSON.stringify(body))
    assert.equal(body.variants.length, 3)
    assert.equal(new Set(body.variants.map((v: { body: string }) => v.body)).size, 3)
    for (const v of body.variants) {
      assert.equal(typeof v.checks.personalisation, 'number')
      assert.ok(v.checks.readingSeconds > 0)
      assert.ok(Array.isArray(v.checks.inventedFacts.numbers))
      assert.ok(v.subject.length > 0)
    }
    assert.equal(body.fallback, false)
    assert.ok(body.facts_used.includes('Prénom du prospect : Anne'))
    assert.ok(body.facts_used.includes('Conseiller qui signe : Claire Martin'))
    const [gen] = await sql`select user_id, fallback, jsonb_array_length(variants) as n, jsonb_array_length(facts) as f from ai_generations where id = ${body.generation_id}`
    assert.deepEqual([gen.user_id, gen.fallback, gen.n, gen.f > 3], [w.userId, false, 3, true])
    const usage = await sql`select outcome::text, cost_eur, prompt_tokens, user_id from ai_usage where tenant_id = ${w.tenantId}`
    assert.equal(usage.length, 1)
    assert.equal(usage[0].outcome, 'ok')
    assert.ok(Number(usage[0].cost_eur) > 0 && Number(usage[0].cost_eur) < 0.02)
    assert.equal(Number(body.cost_eur), Number(usage[0].cost_eur))
    const [audit] = await sql`select count(*)::int as n from audit_log where tenant_id = ${w.tenantId} and action = 'read' and purpose = 'ai_generation'`
    assert.equal(audit.n, 1)
  } finally { await h.close() }
}})

Deno.test({ name: 'ai-generate: SMS for a nameless prospect in English; validation, membership and unknown contacts are refused', ...opts, fn: async () => {
  const h = await harness()
  try {
    const w = await world()
    const other = await world()
    const sms = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.namelessId, channel: 'sms', language: 'en' })
    const b = await sms.json()
    assert.equal(sms.status, 200, JSON.stringify(b))
    assert.ok(b.variants.every((v: { subject: string; checks: { sms: { segments: number } } }) => v.subject === '' && v.checks.sms.segments >= 1))
    assert.equal((await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'fax' })).status, 422)
    const foreign = await h.post(w.token, { tenant_id: other.tenantId, contact_id: other.contactId, channel: 'email' })
    assert.deepEqual([foreign.status, (await foreign.json()).error.code], [403, 'not_a_member'])
    const missing = await h.post(w.token, { tenant_id: w.tenantId, contact_id: other.contactId, channel: 'email' })
    const m = await missing.json()
    assert.deepEqual([missing.status, m.error.code], [404, 'contact_not_found'])
    assert.match(m.error.details.message_fr, /introuvable/)
    assert.equal((await h.post('not-a-token', {})).status, 401)
  } finally { await h.close() }
}})

Deno.test({ name: 'ai-generate: budget — warning notification once at 80 %, refusal at 120 % without calling the provider, Enterprise exempt', ...opts, fn: async () => {
  const h = await harness()
  try {
    const w = await world('trial') // 5 € a month
    const spend = (eur: number) => sql`insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (${w.tenantId}, 'message.generate', 'gpt-4o-mini', ${eur}, 'ok')`
    await spend(4.1)
    const warn = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email' })
    assert.equal(warn.status, 200)
    assert.equal((await warn.json()).budget.state, 'warning')
    await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'sms' })
    const [n] = await sql`select count(*)::int as n from notifications where tenant_id = ${w.tenantId} and kind = 'ai.budget_warning'`
    assert.equal(n.n, 1, 'one warning per month however many calls follow')

    await spend(1.9)
    const before = (await sql`select count(*)::int as n from ai_usage where tenant_id = ${w.tenantId}`)[0].n
    const refused = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email' })
    const r = await refused.json()
    assert.deepEqual([refused.status, r.error.code], [402, 'ai_budget_exceeded'])
    assert.match(r.error.details.message_fr, /budget IA/)
    assert.equal((await sql`select count(*)::int as n from ai_usage where tenant_id = ${w.tenantId}`)[0].n, before, 'no provider call, no usage row')

    await sql`update tenants set plan = 'enterprise' where id = ${w.tenantId}`
    const ent = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email' })
    const e = await ent.json()
    assert.deepEqual([ent.status, e.budget.state], [200, 'exempt'])
  } finally { await h.close() }
}})

// Scripted failures need the local fake (the sandbox's failure simulation is not wired here yet).
Deno.test({ name: 'ai-generate: a failing provider yields flagged fallback variants, recorded at no charge', ignore: SANDBOX, ...opts, fn: async () => {
  const h = await harness()
  try {
    assert.ok(h.fake)
    const w = await world()
    h.fake.script = [{ status: 500 }, { status: 500 }, { status: 500 }]
    const res = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email', language: 'de' })
    const b = await res.json()
    assert.equal(res.status, 200, JSON.stringify(b))
    assert.deepEqual([b.fallback, b.fallback_notice.code, b.cost_eur], [true, 'ai_provider_unavailable', 0])
    assert.ok(b.variants.every((v: { source: string }) => v.source === 'template'))
    const [g] = await sql`select fallback, fallback_reason from ai_generations where id = ${b.generation_id}`
    assert.deepEqual([g.fallback, g.fallback_reason], [true, 'ai_provider_unavailable'])
    const [u] = await sql`select outcome::text, cost_eur from ai_usage where tenant_id = ${w.tenantId}`
    assert.deepEqual([u.outcome, Number(u.cost_eur)], ['fallback', 0])
  } finally { await h.close() }
}})

Deno.test({ name: 'ai-generate: close the pool', ...opts, fn: async () => { await sql.end() } })
