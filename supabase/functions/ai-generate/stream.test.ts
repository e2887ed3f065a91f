/**
 * ai-generate, the parts the user side relies on: SSE stream mode (deltas as
 * the model writes, then the checked result), the fallback in stream mode,
 * the agency's guidelines in the prompt (active ones only), sample contacts
 * and the empty-questionnaire refusal for the first message, library
 * templates, and budget refusal before any stream opens. Against the stack's
 * provider sandbox through the real `openai` SDK (ignored without it).
 */
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { SignJWT } from 'jose'
import { createPool } from '../_shared/db.ts'
import { aiEnvSchema } from '../_shared/ai/config.ts'
import { CircuitBreaker } from '../_shared/ai/breaker.ts'
import type { AiDeps } from '../_shared/ai/client.ts'
import { serviceUsageRecorder } from '../_shared/ai/usage.ts'
import { createHandler } from './handler.ts'

const BASE = Deno.env.get('OPENAI_BASE_URL')
const DB = Deno.env.get('SUPABASE_DB_URL')
const opts = { sanitizeResources: false, sanitizeOps: false, ignore: !BASE || !DB }
const sql = DB ? createPool(DB, 3) : (undefined as never)
const secret = Deno.env.get('SUPABASE_JWT_SECRET') ?? ''

const QUESTIONNAIRE = { questionnaire: { offer: 'Vente de maisons familiales, estimation offerte', tone: 'warm', objective: 'valuation' } }

async function world(onboarding: Record<string, unknown> = QUESTIONNAIRE) {
  const slug = `ais-${crypto.randomUUID().slice(0, 8)}`
  const [user] = await sql`
    insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${slug + '@ai.test'}, '{}', '{"full_name":"Claire Martin"}', now(), now())
    returning id`
  const [tenant] = await sql`
    insert into public.tenants (slug, legal_name, display_name, city, plan, onboarding)
    values (${slug}, 'Agence du Parc SARL', 'Agence du Parc', 'Neuilly-sur-Seine', 'trial', ${sql.json(onboarding as never)}) returning id`
  await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${tenant.id}, ${user.id}, 'owner')`
  const [contact] = await sql`
    insert into public.contacts (tenant_id, kind, first_name, last_name, city) values (${tenant.id}, 'person', 'Anne', 'Aubert', 'Levallois-Perret') returning id`
  const token = await new SignJWT({ sub: user.id, role: 'authenticated', aud: 'authenticated', user_metadata: { full_name: 'Claire Martin' } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
  return { tenantId: tenant.id as string, userId: user.id as string, contactId: contact.id as string, token }
}

/** The handler over the sandbox; every request body the SDK sends is kept (to read the prompt). */
function harness() {
  const config = aiEnvSchema.parse({ OPENAI_API_KEY: Deno.env.get('OPENAI_API_KEY') ?? 'sk-test', OPENAI_BASE_URL: BASE, AI_BACKOFF_BASE_MS: '1', AI_BACKOFF_MAX_MS: '5' })
  const sent: { messages: { role: string; content: string }[]; stream?: boolean }[] = []
  const recording: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') sent.push(JSON.parse(init.body))
    return await fetch(input, init)
  }
  const breaker = new CircuitBreaker({ threshold: 50, cooldownMs: 60_000 })
  const ai = (): AiDeps => ({ openai: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: BASE, maxRetries: 0, fetch: recording }), config, recordUsage: serviceUsageRecorder({ sql }), breaker: () => breaker })
  const handler = createHandler({ sql, ai })
  const post = (token: string, body: unknown) =>
    handler(new Request('http://fn.local/ai-generate', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }))
  return { post, sent }
}

/** Reads a whole SSE answer into its events, in order. */
async function events(res: Response): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const text = await res.text()
  return text.split('\n\n').filter((b) => b.includes('data:')).map((b) => {
    const event = /^event: (.*)$/m.exec(b)?.[1] ?? 'message'
    const data = JSON.parse(/^data: (.*)$/m.exec(b)![1])
    return { event, data }
  })
}

Deno.test({ name: 'ai-generate stream: deltas arrive before the result, spell the model output, and the call is charged once', ...opts, fn: async () => {
  const h = harness()
  const w = await world()
  const res = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email', stream: true })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
  const ev = await events(res)
  const deltas = ev.filter((e) => e.event === 'delta')
  assert.ok(deltas.length > 5, `several deltas (${deltas.length})`)
  assert.equal(ev.at(-1)!.event, 'result')
  assert.ok(ev.findIndex((e) => e.event === 'result') > ev.findIndex((e) => e.event === 'delta'))
  const raw = deltas.map((d) => String(d.data.text)).join('')
  const parsed = JSON.parse(raw) as { variants: { subject: string; body: string }[] }
  const result = ev.at(-1)!.data as { variants: { subject: string; body: string }[]; fallback: boolean; generation_id: string }
  assert.equal(result.fallback, false)
  assert.equal(result.variants.length, 3)
  assert.equal(result.variants[0].subject, parsed.variants[0].subject.trim())
  assert.equal(h.sent[0].stream, true)
  const usage = await sql`select outcome::text, cost_eur from ai_usage where tenant_id = ${w.tenantId}`
  assert.equal(usage.length, 1)
  assert.equal(usage[0].outcome, 'ok')
  assert.ok(Number(usage[0].cost_eur) > 0)
  const [g] = await sql`select count(*)::int as n from ai_generations where id = ${result.generation_id}`
  assert.equal(g.n, 1)
}})

Deno.test({ name: 'ai-generate stream: a failing provider resets the partial text and ends with labelled fallback variants at no charge', ...opts, fn: async () => {
  const h = harness()
  const w = await world()
  const res = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'sms', stream: true, instruction: '[sandbox:503]' })
  const ev = await events(res)
  const result = ev.at(-1)!
  assert.equal(result.event, 'result')
  const r = result.data as { fallback: boolean; fallback_notice: { code: string; fr: string }; variants: { source: string; body: string }[]; cost_eur: number }
  assert.deepEqual([r.fallback, r.fallback_notice.code, r.cost_eur], [true, 'ai_provider_unavailable', 0])
  assert.match(r.fallback_notice.fr, /modèle standard/)
  assert.ok(r.variants.every((v) => v.source === 'template' && v.body.length <= 160))
  assert.ok(ev.filter((e) => e.event === 'reset').length >= 1, 'each retry after the first announces a reset')
  const [u] = await sql`select outcome::text, cost_eur, attempts from ai_usage where tenant_id = ${w.tenantId}`
  assert.deepEqual([u.outcome, Number(u.cost_eur), u.attempts], ['fallback', 0, 3])
}})

Deno.test({ name: 'ai-generate: the agency guidelines (active ones) are in the prompt', ...opts, fn: async () => {
  const h = harness()
  const w = await world()
  await sql`insert into ai_guidelines (tenant_id, kind, text, created_by, active) values
    (${w.tenantId}, 'preference', 'Toujours proposer un café à l''agence', ${w.userId}, true),
    (${w.tenantId}, 'correction', 'Ne jamais écrire « coup de cœur »', ${w.userId}, true),
    (${w.tenantId}, 'preference', 'Tutoyer le prospect', ${w.userId}, false)`
  const res = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email' })
  assert.equal(res.status, 200)
  const system = h.sent[0].messages.find((m) => m.role === 'system')!.content
  assert.match(system, /- Toujours proposer un café à l'agence/)
  assert.match(system, /- Ne jamais écrire « coup de cœur »/)
  assert.doesNotMatch(system, /Tutoyer/, 'a switched-off guideline is not used')
}})

Deno.test({ name: 'ai-generate: first message from the questionnaire for a sample contact; an empty questionnaire is refused without a call', ...opts, fn: async () => {
  const h = harness()
  const w = await world()
  const sample = { first_name: 'Claire', last_name: 'Moreau', city: 'Lyon' }
  const ok = await h.post(w.token, { tenant_id: w.tenantId, sample, channel: 'email', purpose: 'first_message' })
  const b = await ok.json()
  assert.equal(ok.status, 200, JSON.stringify(b))
  assert.ok(b.facts_used.some((f: string) => /Lyon/.test(f)))
  assert.ok(b.facts_used.some((f: string) => /estimation offerte/.test(f)), 'the questionnaire offer is a fact')
  const [g] = await sql`select contact_id from ai_generations where id = ${b.generation_id}`
  assert.equal(g.contact_id, null)
  const [audit] = await sql`select count(*)::int as n from audit_log where tenant_id = ${w.tenantId} and purpose = 'ai_generation'`
  assert.equal(audit.n, 0, 'a sample contact is nobody’s personal data')

  const empty = await world({})
  const refused = await h.post(empty.token, { tenant_id: empty.tenantId, sample, channel: 'email', purpose: 'first_message' })
  const r = await refused.json()
  assert.deepEqual([refused.status, r.error.code], [422, 'questionnaire_empty'])
  assert.match(r.error.details.message_fr, /questionnaire/)
  const nobody = await h.post(w.token, { tenant_id: w.tenantId, channel: 'email' })
  assert.deepEqual([nobody.status, (await nobody.json()).error.code], [422, 'contact_required'])
  assert.equal((await sql`select count(*)::int as n from ai_usage where tenant_id = ${empty.tenantId}`)[0].n, 0, 'no call, no usage row')
}})

Deno.test({ name: 'ai-generate: library templates by key, channel checked; budget refusal comes before any stream', ...opts, fn: async () => {
  const h = harness()
  const w = await world()
  const sms = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'sms', library_key: 'valuation_sms' })
  assert.equal(sms.status, 200)
  assert.match(h.sent.at(-1)!.messages.at(-1)!.content, /SMS estimation offerte/)
  const mismatch = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email', library_key: 'valuation_sms' })
  assert.deepEqual([mismatch.status, (await mismatch.json()).error.code], [422, 'template_channel_mismatch'])
  const unknown = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'sms', library_key: 'no_such_template' })
  assert.deepEqual([unknown.status, (await unknown.json()).error.code], [404, 'template_not_found'])

  await sql`insert into ai_usage (tenant_id, task, model, cost_eur, outcome) values (${w.tenantId}, 'message.generate', 'gpt-4o-mini', 6.5, 'ok')`
  const blocked = await h.post(w.token, { tenant_id: w.tenantId, contact_id: w.contactId, channel: 'email', stream: true })
  assert.equal(blocked.status, 402)
  assert.match(blocked.headers.get('content-type') ?? '', /application\/json/)
  assert.equal((await blocked.json()).error.code, 'ai_budget_exceeded')
}})

Deno.test({ name: 'ai-generate stream tests: close the pool', ...opts, fn: async () => { await sql.end() } })
