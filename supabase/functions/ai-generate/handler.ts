/**
 * ai-generate: three personalised variants of a prospecting message for one
 * contact, with their checks and the facts used.
 *
 * POST { tenant_id, contact_id | sample, channel, language?, template_id? | library_key?,
 *        objective?, instruction?, purpose?, stream? }
 * with the user's JWT. The caller must be a member of the tenant (any role).
 * `sample` is an example contact (onboarding, template previews): nothing is
 * read from the contacts table and the generation row has no contact.
 * `library_key` uses a platform template (template_library) without copying it.
 * `purpose: 'first_message'` (onboarding step 5) requires a questionnaire.
 * The agency's active guidelines (ai_guidelines, newest 20) join the prompt.
 *
 * `stream: true` answers `text/event-stream` once the checks that can refuse
 * have passed (membership, contact, template, budget): `event: delta` with
 * `{text}` for each piece of the model's output as it arrives, `event: reset`
 * when a retry starts over, then `event: result` with the same body as the
 * JSON answer, or `event: error` with `{error}`.
 * Reads (tenant, contact, template, history, budget) and the ai_generations
 * insert run as the user, so RLS decides; the provider call happens between
 * the two transactions (no transaction is held open while the model writes).
 * Only the ai_usage ledger row is written with the service role — see
 * _shared/ai/usage.ts for why.
 *
 * Answers 200 { generation_id, variants[3], facts_used, facts, fallback,
 * fallback_notice?, budget, model, cost_eur }; 402 ai_budget_exceeded at
 * 120 % of the monthly budget (Enterprise exempt); 404 contact_not_found /
 * template_not_found; the _shared/http codes otherwise.
 */
import { z } from 'zod'
import { requireTenantRole, requireUser } from '../_shared/auth.ts'
import { db, type Sql, withUser } from '../_shared/db.ts'
import { json, parseBody, requireMethod, withHttp } from '../_shared/http.ts'
import { createLogger, type Logger } from '../_shared/log.ts'
import { aiConfig } from '../_shared/ai/config.ts'
import type { AiDeps } from '../_shared/ai/client.ts'
import { providers } from '../_shared/providers/mod.ts'
import { CHANNELS, type GenerationContext, type HistoryItem, LANGUAGES, questionnaireFrom } from '../_shared/ai/context.ts'
import { AiError } from '../_shared/ai/errors.ts'
import { generateMessages } from '../_shared/ai/generate.ts'
import { assertBudget, readBudget, serviceUsageRecorder } from '../_shared/ai/usage.ts'

const sampleText = z.string().trim().max(120).optional()
export const sampleSchema = z.object({
  kind: z.enum(['person', 'company']).default('person'),
  first_name: sampleText,
  last_name: sampleText,
  company_name: sampleText,
  job_title: sampleText,
  city: sampleText,
  postal_code: z.string().trim().max(10).optional(),
})

export const requestSchema = z.object({
  tenant_id: z.uuid(),
  contact_id: z.uuid().optional(),
  sample: sampleSchema.optional(),
  channel: z.enum(CHANNELS),
  language: z.enum(LANGUAGES).default('fr'),
  template_id: z.uuid().optional(),
  library_key: z.string().regex(/^[a-z][a-z0-9_]*$/).max(80).optional(),
  objective: z.string().trim().min(1).max(500).optional(),
  instruction: z.string().trim().min(1).max(300).optional(),
  purpose: z.enum(['message', 'first_message']).default('message'),
  stream: z.boolean().default(false),
})
export type GenerateBody = z.infer<typeof requestSchema>

export interface HandlerDeps {
  sql?: Sql
  logger?: Logger
  /** The AI layer's dependencies (tests inject a fake clock, breaker, client). */
  ai?: () => AiDeps
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [])

/** The generation context, read as the user (RLS applies). */
async function loadContext(sql: Sql, claims: Record<string, unknown>, body: GenerateBody) {
  if (!body.contact_id && !body.sample) throw new AiError('contact_required')
  return await withUser(claims, async (tx) => {
    // Independent reads are issued together: postgres.js pipelines them on the
    // transaction's connection (one round trip instead of six).
    const none = Promise.resolve([] as Record<string, unknown>[])
    const [[tenant], contactRows, templateRows, libraryRows, guidelines, history, budget] = await Promise.all([
      tx`select to_jsonb(t) as t from public.tenants t where t.id = ${body.tenant_id}`,
      body.contact_id
        ? tx`select to_jsonb(c) as c from public.contacts c
              where c.tenant_id = ${body.tenant_id} and c.id = ${body.contact_id} and c.deleted_at is null`
        : none,
      body.template_id
        ? tx`select id, name, channel::text, language, subject, body from public.message_templates
              where tenant_id = ${body.tenant_id} and id = ${body.template_id}`
        : none,
      !body.template_id && body.library_key
        ? tx`select key, name, channel::text, language, subject, body from public.template_library where key = ${body.library_key}`
        : none,
      tx`select text from public.ai_guidelines where tenant_id = ${body.tenant_id} and active order by created_at desc limit 20`,
      body.contact_id
        ? tx`select occurred_at, kind::text, coalesce(nullif(btrim(subject), ''), left(body, 140)) as summary
               from public.activities
              where tenant_id = ${body.tenant_id} and contact_id = ${body.contact_id}
              order by occurred_at desc limit 5`
        : none,
      readBudget(tx, body.tenant_id),
    ])
    const contact: Record<string, unknown> | undefined = body.contact_id ? (contactRows[0]?.c as Record<string, unknown> | undefined) : { ...body.sample }
    if (!tenant || !contact) throw new AiError('contact_not_found')
    let template: Record<string, unknown> | undefined
    if (body.template_id) {
      template = templateRows[0]
      if (!template) throw new AiError('template_not_found')
    } else if (body.library_key) {
      const row = libraryRows[0]
      if (!row) throw new AiError('template_not_found')
      template = { ...row, id: undefined, library_key: row.key }
    }
    if (template && template.channel !== body.channel) throw new AiError('template_channel_mismatch', { template_channel: template.channel })
    // Reading a contact's personal data for the AI is an access the audit trail keeps.
    if (body.contact_id) await tx`select public.record_contact_access(${body.tenant_id}, array[${body.contact_id}]::uuid[], 'read', 'ai_generation')`
    return {
      tenant: tenant.t as Record<string, unknown>,
      contact,
      template,
      history: history as Record<string, unknown>[],
      budget,
      guidelines: guidelines.map((g) => String(g.text)),
    }
  }, sql)
}

export function buildContext(
  body: GenerateBody,
  tenant: Record<string, unknown>,
  contact: Record<string, unknown>,
  template: Record<string, unknown> | undefined,
  history: { occurred_at: Date | string; kind: string; summary: string | null }[],
  agentName?: string,
  taught: string[] = [],
): GenerationContext {
  const onboarding = (tenant.onboarding ?? {}) as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined)
  const custom = (contact.custom_fields ?? {}) as Record<string, unknown>
  const signals = [
    ...strings(contact.tags),
    ...Object.entries(custom).filter(([, v]) => typeof v === 'string' && v.length <= 120).slice(0, 5).map(([k, v]) => `${k} : ${v}`),
  ]
  return {
    channel: body.channel,
    language: body.language,
    objective: body.objective,
    instruction: body.instruction,
    agency: {
      name: str(tenant.display_name) ?? String(tenant.legal_name),
      city: str(tenant.city),
      agentName,
      specialisations: strings(tenant.specialisations),
      propertyTypes: strings(tenant.property_types),
      zones: strings(tenant.geographic_zones),
      questionnaire: questionnaireFrom(onboarding),
      guidelines: [...new Set([...taught, ...strings(onboarding.ai_guidelines)])],
    },
    prospect: {
      kind: contact.kind === 'company' ? 'company' : 'person',
      firstName: str(contact.first_name),
      lastName: str(contact.last_name),
      companyName: str(contact.company_name),
      jobTitle: str(contact.job_title),
      city: str(contact.city),
      postalCode: str(contact.postal_code),
      nafCode: str(contact.naf_code),
      lifecycleStage: str(contact.lifecycle_stage),
      signals,
      history: history
        .filter((h) => h.summary)
        .map((h): HistoryItem => ({ date: new Date(h.occurred_at).toISOString(), kind: h.kind, summary: String(h.summary) })),
    },
    marketFacts: strings(onboarding.market_facts),
    template: template
      ? {
        id: template.id ? String(template.id) : undefined,
        name: String(template.name),
        channel: body.channel,
        language: template.language as GenerationContext['language'],
        subject: (template.subject as string | null) ?? undefined,
        body: String(template.body),
      }
      : undefined,
  }
}

function aiErrorResponse(e: AiError, traceId: string, cors: Record<string, string>): Response {
  const m = e.messages
  return json(
    { error: { code: e.code, message: m.en, details: { message_fr: m.fr, message_en: m.en, ...(e.details ?? {}) }, traceId } },
    { status: e.status, cors },
  )
}

export function createHandler(deps: HandlerDeps = {}): (req: Request) => Promise<Response> {
  const logger = deps.logger ?? createLogger('ai-generate')
  let ai: AiDeps | undefined
  const aiDeps = () => {
    if (deps.ai) return deps.ai()
    if (!ai) {
      const cfg = aiConfig()
      // The SDK client comes from the providers registry (one OpenAI adapter for every function).
      ai = { openai: providers().ai().client, config: cfg, recordUsage: serviceUsageRecorder({ sql: deps.sql, logger }), logger }
    }
    return ai
  }

  return withHttp(logger, async (req, { traceId, logger: log, cors }) => {
    requireMethod(req, 'POST')
    const caller = await requireUser(req)
    const body = await parseBody(req, requestSchema, { maxBytes: 16_384 })
    const sql = deps.sql ?? db()
    await requireTenantRole(caller, body.tenant_id, 'assistant', sql)
    const l = log.child({ userId: caller.userId, tenantId: body.tenant_id })
    let ctx: GenerationContext
    let loaded: Awaited<ReturnType<typeof loadContext>>
    try {
      loaded = await loadContext(sql, caller.claims, body)
      assertBudget(loaded.budget)
      const meta = (caller.claims.user_metadata ?? {}) as Record<string, unknown>
      const agentName = typeof meta.full_name === 'string' ? meta.full_name : undefined
      ctx = buildContext(body, loaded.tenant, loaded.contact, loaded.template, loaded.history as never, agentName, loaded.guidelines)
      if (body.purpose === 'first_message' && !hasQuestionnaire(ctx)) throw new AiError('questionnaire_empty')
    } catch (e) {
      if (e instanceof AiError) return aiErrorResponse(e, traceId, cors)
      throw e
    }

    const run = (stream?: { onDelta: (t: string) => void; onReset: () => void }) =>
      generateAndStore({ sql, aiDeps: { ...aiDeps(), logger: l }, caller, body, ctx, loaded, traceId, stream })

    if (body.stream) return sseResponse(run, traceId, cors, l)
    try {
      return json(await run(), { cors })
    } catch (e) {
      if (e instanceof AiError) return aiErrorResponse(e, traceId, cors)
      throw e
    }
  })
}

/** Empty questionnaire: nothing the agency said about its offer, tone or objective. */
export function hasQuestionnaire(ctx: GenerationContext): boolean {
  const q = ctx.agency.questionnaire ?? {}
  return Boolean(q.offer || q.tone || q.objective || q.differentiators?.length || q.objections?.length)
}

const encoder = new TextEncoder()
const sse = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

/** The generation as server-sent events: deltas as the model writes, then the result. */
function sseResponse(
  run: (stream: { onDelta: (t: string) => void; onReset: () => void }) => Promise<Record<string, unknown>>,
  traceId: string,
  cors: Record<string, string>,
  log: Logger,
): Response {
  let closed = false
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const push = (event: string, data: unknown) => {
        if (!closed) controller.enqueue(sse(event, data))
      }
      // Comment line first: proxies and the client see the stream open at once.
      controller.enqueue(encoder.encode(': stream\n\n'))
      try {
        const result = await run({ onDelta: (text) => push('delta', { text }), onReset: () => push('reset', {}) })
        push('result', result)
      } catch (e) {
        if (e instanceof AiError) {
          const m = e.messages
          push('error', { error: { code: e.code, message: m.en, details: { message_fr: m.fr, message_en: m.en, ...(e.details ?? {}) }, traceId } })
        } else {
          log.error('ai-generate stream failed', e)
          push('error', { error: { code: 'internal_error', message: 'Internal error', details: { message_fr: 'Erreur interne, réessayez.', message_en: 'Internal error, please retry.' }, traceId } })
        }
      } finally {
        closed = true
        controller.close()
      }
    },
    cancel() {
      closed = true
    },
  })
  return new Response(body, {
    status: 200,
    headers: { ...cors, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
  })
}

async function generateAndStore(a: {
  sql: Sql
  aiDeps: AiDeps
  caller: Awaited<ReturnType<typeof requireUser>>
  body: GenerateBody
  ctx: GenerationContext
  loaded: Awaited<ReturnType<typeof loadContext>>
  traceId: string
  stream?: { onDelta: (t: string) => void; onReset: () => void }
}): Promise<Record<string, unknown>> {
  const { sql, caller, body, ctx, loaded, traceId } = a
  {
    {
      const result = await generateMessages(a.aiDeps, {
        ctx,
        tenantId: body.tenant_id,
        userId: caller.userId,
        requestId: traceId,
        onDelta: a.stream?.onDelta,
        onReset: a.stream?.onReset,
      })

      const variants = result.variants.map(({ subject, body: text, angle, source, checks }) => ({ subject, body: text, angle, source, checks }))
      const [row] = await withUser(caller.claims, (tx) => tx`
        insert into public.ai_generations (tenant_id, user_id, contact_id, template_id, channel, language, objective, instruction,
                                           request, facts, variants, model, fallback, fallback_reason)
        values (${body.tenant_id}, ${caller.userId}, ${body.contact_id ?? null}, ${body.template_id ?? null}, ${body.channel}, ${body.language},
                ${body.objective ?? null}, ${body.instruction ?? null}, ${tx.json(body as never)}, ${tx.json(result.facts as never)},
                ${tx.json(variants as never)}, ${result.model}, ${result.fallback}, ${result.fallbackNotice?.code ?? null})
        returning id`, sql).catch((e) => {
        if ((e as { message?: string }).message === 'ai_budget_exceeded') throw new AiError('ai_budget_exceeded')
        throw e
      })

      return {
        generation_id: row.id,
        channel: body.channel,
        language: body.language,
        variants,
        facts_used: result.factsUsed,
        facts: result.facts,
        fallback: result.fallback,
        fallback_notice: result.fallbackNotice ?? null,
        budget: { state: loaded.budget.state, ratio: loaded.budget.ratio, spent_eur: loaded.budget.spentEur, budget_eur: loaded.budget.budgetEur },
        model: result.model,
        cost_eur: result.costEur,
      }
    }
  }
}

export const handler = createHandler()
