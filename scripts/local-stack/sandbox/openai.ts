/**
 * OpenAI, as the `openai` SDK speaks it, under /openai/v1:
 *   POST /chat/completions  plain text, JSON mode (json_object), structured
 *                           outputs (json_schema: an instance valid for the
 *                           schema), streaming (SSE, usage chunk on request)
 *   GET  /models, /models/:id
 * Answers are deterministic: the PRNG is seeded from a hash of the model, the
 * messages and the response format, and writes plausible French prospecting
 * copy for a real-estate agency. Usage tokens are estimated (≈ 4 chars/token).
 *
 * Failure simulation, for retry and fallback tests — a header or a tag in the
 * last user message:
 *   x-sandbox-fail: 429 | 500 | 503 | timeout     every call fails so
 *   [sandbox:429] / [sandbox:500] / [sandbox:503]  same, from the prompt
 *   [sandbox:429x2]    the first 2 calls with this exact prompt fail, then it answers
 *   [sandbox:refusal]  the model refuses (message.refusal set, content null)
 *   [sandbox:invalid-json]  content that is not valid JSON for the format
 *   [sandbox:slow=1500]     answers after 1.5 s (client timeouts)
 * A 429 carries `retry-after-ms` and `retry-after` headers like the real API.
 */
import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { HttpError, parseJson, prng, sendJson, type SandboxContext, type SandboxRequest } from './context.ts'

export const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-5-mini', 'o4-mini']

const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()), z.null()]).optional(),
}).loose()

const ChatRequest = z.object({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({ type: z.literal('json_schema'), json_schema: z.object({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }).loose() }),
    ])
    .optional(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.number().int().min(1).max(1).nullish(),
}).loose()
type ChatRequest = z.infer<typeof ChatRequest>

function openaiError(status: number, message: string, type: string, code: string | null, param: string | null = null) {
  return new HttpError(status, message, { error: { message, type, param, code } })
}

const textOf = (m: z.infer<typeof Message>) =>
  typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p) => p.text ?? '').join('\n') : ''

export const estimateTokens = (s: string) => Math.max(1, Math.ceil(s.length / 4))

// ---------- French prospecting copy ----------
const FIRST = ['Camille', 'Julien', 'Sophie', 'Nicolas', 'Claire', 'Thomas', 'Léa', 'Antoine']
const SUBJECTS = [
  'Votre bien à {ville} : une estimation offerte',
  'Des acquéreurs recherchent dans votre quartier',
  'Et si nous parlions de votre projet immobilier ?',
  'Le marché à {ville} a bougé ce trimestre',
  'Une question rapide sur votre logement',
  'Vendre au bon prix à {ville}, sans stress',
]
const OPENINGS = [
  'Je me permets de vous écrire car notre agence accompagne plusieurs familles qui cherchent un logement comme le vôtre.',
  'Nous avons récemment vendu deux biens proches du vôtre, et les prix du secteur ont évolué.',
  'Votre quartier fait partie des plus demandés par nos acquéreurs en ce moment.',
  'Suite à votre demande sur notre site, je reviens vers vous avec quelques éléments concrets.',
]
const MIDDLES = [
  'Nous pouvons réaliser une estimation gratuite et sans engagement, fondée sur les ventes récentes de la rue.',
  'Notre équipe connaît bien {ville} et saura valoriser les atouts de votre bien : luminosité, extérieur, proximité des écoles.',
  'Nos acquéreurs ont déjà obtenu leur accord de financement, ce qui permet des ventes rapides et sereines.',
  'Nous nous occupons de tout : diagnostics, photos professionnelles, visites qualifiées et suivi jusqu’à la signature.',
]
const CONTEXTS = [
  'Les prix à {ville} ont encore progressé ces derniers mois.',
  'À {ville}, les biens bien placés se vendent en quelques semaines.',
  'Nous suivons de près le marché de {ville} et de ses environs.',
]
const CTAS = [
  'Seriez-vous disponible pour un échange de 15 minutes cette semaine ?',
  'Puis-je vous proposer un rendez-vous pour une estimation ?',
  'Répondez simplement à ce message si vous souhaitez en savoir plus.',
  'Je peux passer vous voir jeudi ou vendredi, selon vos disponibilités.',
]
const SIGNATURES = ['Bien cordialement,\n{agent}\nAgence immo-ai', 'Belle journée,\n{agent}', 'Au plaisir d’échanger,\n{agent}']
const VILLES = ['Lyon', 'Nantes', 'Bordeaux', 'Lille', 'Rennes', 'Montpellier', 'Toulouse', 'Annecy']
const SMS = [
  'Bonjour, {agent} de l’agence immo-ai : des acquéreurs cherchent à {ville}. Estimation offerte ? Répondez OUI. STOP au 36xxx',
  '{agent} (immo-ai) : votre bien pourrait intéresser nos clients à {ville}. Un appel cette semaine ? STOP au 36xxx',
]

/** Cities the copy can pick up from the prompt, so the answer speaks of the prospect's town. */
const KNOWN_CITIES = ['Paris', 'Marseille', 'Lyon', 'Toulouse', 'Nice', 'Nantes', 'Montpellier', 'Strasbourg', 'Bordeaux', 'Lille', 'Rennes', 'Reims', 'Toulon', 'Grenoble', 'Dijon', 'Angers', 'Nîmes', 'Villeurbanne', 'Clermont-Ferrand', 'Le Mans', 'Aix-en-Provence', 'Brest', 'Tours', 'Amiens', 'Limoges', 'Annecy', 'Perpignan', 'Metz', 'Besançon', 'Orléans', 'Rouen', 'Caen', 'Nancy', 'Avignon', 'La Rochelle', 'Biarritz', 'Vannes']
const cityRe = new RegExp(`\\b(${KNOWN_CITIES.map((c) => c.replace(/-/g, '\\-')).join('|')})\\b`)

class Writer {
  readonly r: () => number
  readonly ville: string
  readonly agent: string
  constructor(seed: number, prompt = '') {
    this.r = prng(seed)
    this.ville = cityRe.exec(prompt)?.[1] ?? this.pick(VILLES)
    this.agent = this.pick(FIRST)
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]
  }
  fill(s: string): string {
    return s.replaceAll('{ville}', this.ville).replaceAll('{agent}', this.agent)
  }
  subject() {
    return this.fill(this.pick(SUBJECTS))
  }
  sms() {
    return this.fill(this.pick(SMS))
  }
  body() {
    return this.fill(['Bonjour,', '', this.pick(OPENINGS), this.pick(CONTEXTS), this.pick(MIDDLES), '', this.pick(CTAS), '', this.pick(SIGNATURES)].join('\n'))
  }
  sentence() {
    return this.fill(this.pick([...OPENINGS, ...MIDDLES, ...CTAS]))
  }
  /** Text for a string field, chosen from its name. */
  forField(name: string): string {
    const n = name.toLowerCase()
    if (/subject|objet|title|titre/.test(n)) return this.subject()
    if (/sms/.test(n)) return this.sms()
    if (/body|message|content|contenu|text|email|mail|html/.test(n)) return this.body()
    if (/city|ville|commune/.test(n)) return this.ville
    if (/first_?name|prenom/.test(n)) return this.pick(FIRST)
    if (/name|nom/.test(n)) return `${this.pick(FIRST)} ${this.pick(['Martin', 'Bernard', 'Morel', 'Fournier'])}`
    if (/reason|raison|rationale|explanation|justification|summary|resume/.test(n)) return this.sentence()
    if (/cta|call_to_action|action/.test(n)) return this.fill(this.pick(CTAS))
    if (/tone|ton/.test(n)) return this.pick(['chaleureux', 'professionnel', 'direct'])
    if (/lang|locale/.test(n)) return 'fr'
    return this.sentence()
  }
}

// ---------- JSON schema instances ----------
type Schema = Record<string, unknown>

export function instanceFor(root: Schema, w: Writer): unknown {
  const defs = { ...((root.$defs as Record<string, Schema>) ?? {}), ...((root.definitions as Record<string, Schema>) ?? {}) }
  const resolve = (s: Schema): Schema => {
    const ref = s.$ref as string | undefined
    if (!ref) return s
    if (ref === '#') return root
    const name = ref.replace(/^#\/(\$defs|definitions)\//, '')
    const target = defs[name]
    if (!target) throw openaiError(400, `Invalid schema: unresolvable $ref ${ref}`, 'invalid_request_error', 'invalid_json_schema', 'response_format')
    return target
  }
  const gen = (s0: Schema, name: string, depth: number): unknown => {
    const s = resolve(s0)
    if ('const' in s) return s.const
    if (Array.isArray(s.enum)) return w.pick(s.enum)
    const alt = (s.anyOf ?? s.oneOf) as Schema[] | undefined
    if (alt?.length) {
      const nonNull = alt.filter((a) => resolve(a).type !== 'null')
      return gen(nonNull.length ? w.pick(nonNull) : alt[0], name, depth)
    }
    if (Array.isArray(s.allOf) && s.allOf.length) return gen(Object.assign({}, ...(s.allOf as Schema[]).map(resolve)), name, depth)
    let type = s.type as string | string[] | undefined
    if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null'
    if (!type) type = s.properties ? 'object' : s.items ? 'array' : 'string'
    switch (type) {
      case 'null':
        return null
      case 'boolean':
        return w.r() < 0.5
      case 'integer':
      case 'number': {
        const min = (s.minimum as number | undefined) ?? (s.exclusiveMinimum !== undefined ? (s.exclusiveMinimum as number) + 1 : 0)
        const max = (s.maximum as number | undefined) ?? (s.exclusiveMaximum !== undefined ? (s.exclusiveMaximum as number) - 1 : Math.max(min, 100))
        const v = min + w.r() * (max - min)
        return type === 'integer' ? Math.min(max, Math.max(min, Math.round(v))) : Math.round(v * 100) / 100
      }
      case 'array': {
        const minItems = (s.minItems as number | undefined) ?? 1
        const maxItems = (s.maxItems as number | undefined) ?? Math.max(minItems, 3)
        const n = depth > 4 ? minItems : Math.min(maxItems, Math.max(minItems, 2 + Math.floor(w.r() * 2)))
        const item = (s.items as Schema | undefined) ?? { type: 'string' }
        return Array.from({ length: n }, () => gen(item, singular(name), depth + 1))
      }
      case 'object': {
        const props = (s.properties as Record<string, Schema> | undefined) ?? {}
        const required = new Set((s.required as string[] | undefined) ?? Object.keys(props))
        const out: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(props)) if (required.has(k) || depth < 3) out[k] = gen(v, k, depth + 1)
        return out
      }
      default:
        return str(s, name)
    }
  }
  const str = (s: Schema, name: string): string => {
    const fmt = s.format as string | undefined
    if (fmt === 'date-time') return '2025-03-14T10:30:00Z'
    if (fmt === 'date') return '2025-03-14'
    if (fmt === 'email') return 'contact@agence-exemple.fr'
    if (fmt === 'uri' || fmt === 'url') return 'https://agence-exemple.fr/estimation'
    if (fmt === 'uuid') return '00000000-0000-4000-8000-000000000000'
    let v = w.forField(name)
    const min = (s.minLength as number | undefined) ?? 0
    const max = s.maxLength as number | undefined
    while (v.length < min) v += ' ' + w.sentence()
    if (max !== undefined && v.length > max) v = v.slice(0, max).trimEnd()
    while (v.length < min) v += '.'
    return v
  }
  return gen(root, 'message', 0)
}

const singular = (n: string) => n.replace(/ies$/, 'y').replace(/s$/, '')

// ---------- the module ----------
export function createOpenAI(ctx: SandboxContext) {
  const failures = new Map<string, number>()

  const authorize = (r: SandboxRequest) => {
    const key = (r.req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')
    if (!key) throw openaiError(401, "You didn't provide an API key.", 'invalid_request_error', null)
    if (key !== ctx.env.OPENAI_API_KEY) throw openaiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key')
  }

  const model = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'sandbox' })

  async function chat(r: SandboxRequest) {
    const parsed = ChatRequest.safeParse(parseJson(r.body))
    if (!parsed.success) {
      const i = parsed.error.issues[0]
      throw openaiError(400, `Invalid request: ${i.path.join('.')}: ${i.message}`, 'invalid_request_error', 'invalid_request', i.path.join('.'))
    }
    const body = parsed.data
    if (!MODELS.includes(body.model) && !body.model.startsWith('ft:')) {
      throw openaiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')
    }
    const prompt = body.messages.map(textOf).join('\n')
    const lastUser = textOf([...body.messages].reverse().find((m) => m.role === 'user') ?? body.messages[body.messages.length - 1])
    const hash = createHash('sha256').update(JSON.stringify([body.model, body.messages, body.response_format ?? null])).digest()

    // Failure simulation.
    const header = String(r.req.headers['x-sandbox-fail'] ?? '')
    const tag = /\[sandbox:(429|500|503|timeout)(?:x(\d+))?\]/.exec(lastUser)
    const slow = /\[sandbox:slow=(\d+)\]/.exec(lastUser)
    if (slow) await sleep(Math.min(Number(slow[1]), 60_000))
    let fail = header || undefined
    if (!fail && tag) {
      const times = tag[2] ? Number(tag[2]) : Infinity
      const key = hash.toString('hex')
      const seen = failures.get(key) ?? 0
      if (seen < times) {
        failures.set(key, seen + 1)
        fail = tag[1]
      }
    }
    if (fail === 'timeout') {
      await sleep(60_000)
      throw openaiError(504, 'Gateway timeout', 'server_error', null)
    }
    if (fail === '429') throw new HttpError(429, 'rate limited', { error: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after': '1', 'retry-after-ms': '100', 'x-ratelimit-remaining-requests': '0' })
    if (fail === '500') throw openaiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null)
    if (fail === '503') throw openaiError(503, 'The engine is currently overloaded, please try again later.', 'server_error', null)

    const w = new Writer(hash.readUInt32BE(0), lastUser)
    const fmt = body.response_format
    let content: string | null
    let refusal: string | null = null
    if (/\[sandbox:refusal\]/.test(lastUser)) {
      content = null
      refusal = 'Je ne peux pas répondre à cette demande.'
    } else if (/\[sandbox:invalid-json\]/.test(lastUser) && fmt && fmt.type !== 'text') {
      content = '{"message": "réponse tronquée'
    } else if (fmt?.type === 'json_schema') {
      content = JSON.stringify(instanceFor((fmt.json_schema.schema ?? { type: 'object', properties: {} }) as Schema, w))
    } else if (fmt?.type === 'json_object') {
      if (!/json/i.test(prompt)) {
        throw openaiError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'invalid_request_error', null, 'messages')
      }
      content = JSON.stringify({ subject: w.subject(), body: w.body(), sms: w.sms() })
    } else {
      content = /sms/i.test(lastUser) ? w.sms() : w.body()
    }

    let finish: 'stop' | 'length' = 'stop'
    const maxTokens = body.max_completion_tokens ?? body.max_tokens
    if (content && maxTokens && estimateTokens(content) > maxTokens && fmt?.type !== 'json_schema') {
      content = content.slice(0, maxTokens * 4)
      finish = 'length'
    }
    const usage = {
      prompt_tokens: estimateTokens(prompt) + 7 * body.messages.length,
      completion_tokens: estimateTokens(content ?? refusal ?? ''),
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    }
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
    const id = `chatcmpl-${randomBytes(12).toString('base64url')}`
    const created = Math.floor(Date.now() / 1000)
    ctx.record({ provider: 'openai', direction: 'in', method: 'POST', path: '/chat/completions', status: 200, summary: `${body.model} ${fmt?.type ?? 'text'}${body.stream ? ' stream' : ''}, ${usage.total_tokens} tokens` })

    if (!body.stream) {
      return sendJson(r.res, 200, {
        id, object: 'chat.completion', created, model: body.model, system_fingerprint: 'fp_sandbox', service_tier: 'default',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal, annotations: [] }, logprobs: null, finish_reason: finish }],
        usage,
      }, { 'x-request-id': `req_${randomBytes(8).toString('hex')}`, 'openai-processing-ms': '1' })
    }
    r.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_sandbox', choices: [{ index: 0, delta, logprobs: null, finish_reason }], ...extra })}\n\n`
    r.res.write(chunk({ role: 'assistant', content: '', refusal: null }, null))
    const pieces = (content ?? '').match(/[\s\S]{1,12}/g) ?? []
    for (const p of pieces) r.res.write(chunk({ content: p }, null))
    if (refusal) r.res.write(chunk({ refusal }, null))
    r.res.write(chunk({}, finish))
    if (body.stream_options?.include_usage) {
      r.res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`)
    }
    r.res.end('data: [DONE]\n\n')
  }

  return async (r: SandboxRequest) => {
    authorize(r)
    if (r.method === 'POST' && r.path === '/chat/completions') return chat(r)
    if (r.method === 'GET' && r.path === '/models') return sendJson(r.res, 200, { object: 'list', data: MODELS.map(model) })
    const m = /^\/models\/([^/]+)$/.exec(r.path)
    if (r.method === 'GET' && m) {
      const id = decodeURIComponent(m[1])
      if (!MODELS.includes(id)) throw openaiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model')
      return sendJson(r.res, 200, model(id))
    }
    throw openaiError(404, `Invalid URL (${r.method} /v1${r.path})`, 'invalid_request_error', null)
  }
}
