/**
 * The OpenAI sandbox through the real `openai` SDK: plain chat, JSON mode,
 * json_schema structured outputs, streaming with usage, determinism, errors
 * and the failure simulation used by retry tests.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { env } from '../helpers/stack'

const client = (opts: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ apiKey: env('OPENAI_API_KEY'), baseURL: env('OPENAI_BASE_URL'), maxRetries: 0, ...opts })

const variantsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['variants', 'language'],
  properties: {
    language: { type: 'string', enum: ['fr'] },
    variants: {
      type: 'array',
      minItems: 3,
      maxItems: 3,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['subject', 'body', 'sms', 'score', 'tone', 'followUpDays'],
        properties: {
          subject: { type: 'string', maxLength: 78 },
          body: { type: 'string', minLength: 40 },
          sms: { type: 'string', maxLength: 160 },
          score: { type: 'number', minimum: 0, maximum: 1 },
          tone: { $ref: '#/$defs/tone' },
          followUpDays: { anyOf: [{ type: 'integer', minimum: 1, maximum: 14 }, { type: 'null' }] },
        },
      },
    },
  },
  $defs: { tone: { type: 'string', enum: ['chaleureux', 'professionnel', 'direct'] } },
} as const

const Variants = z.strictObject({
  language: z.literal('fr'),
  variants: z.array(z.strictObject({
    subject: z.string().max(78),
    body: z.string().min(40),
    sms: z.string().max(160),
    score: z.number().min(0).max(1),
    tone: z.enum(['chaleureux', 'professionnel', 'direct']),
    followUpDays: z.number().int().min(1).max(14).nullable(),
  })).length(3),
})

describe('openai sandbox', () => {
  it('answers a chat completion in French with usage filled, deterministically', async () => {
    const ask = () => client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Tu es agent immobilier.' }, { role: 'user', content: 'Rédige un e-mail de prospection pour Mme Durand à Lyon.' }] })
    const a = await ask()
    const b = await ask()
    expect(a.object).toBe('chat.completion')
    const text = a.choices[0].message.content!
    expect(text).toMatch(/^Bonjour/)
    expect(text.length).toBeGreaterThan(80)
    expect(a.choices[0].finish_reason).toBe('stop')
    expect(a.usage!.prompt_tokens).toBeGreaterThan(0)
    expect(a.usage!.completion_tokens).toBeGreaterThan(0)
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens)
    expect(b.choices[0].message.content).toBe(text)
    const other = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Un autre prospect, à Nantes, propriétaire d’une maison.' }] })
    expect(other.choices[0].message.content).not.toBe(text)
    // The copy speaks of the town named in the prompt.
    expect(text).toContain('Lyon')
    expect(other.choices[0].message.content).toContain('Nantes')
  })

  it('produces JSON valid for a strict json_schema (refs, enums, bounds, nullable)', async () => {
    for (const prospect of ['M. Martin, T3 à Villeurbanne', 'Mme Petit, maison à Rennes', 'SCI du Port, local commercial']) {
      const r = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Trois variantes pour ${prospect}` }],
        response_format: { type: 'json_schema', json_schema: { name: 'message_variants', strict: true, schema: variantsSchema as unknown as Record<string, unknown> } },
      })
      const parsed = Variants.parse(JSON.parse(r.choices[0].message.content!))
      expect(parsed.variants[0].body).toMatch(/Bonjour/)
    }
  })

  it('supports JSON mode, and rejects it when the prompt never says JSON (as the API does)', async () => {
    const r = await client().chat.completions.create({ model: 'gpt-4o-mini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Réponds en JSON avec subject et body.' }] })
    const obj = JSON.parse(r.choices[0].message.content!)
    expect(typeof obj.subject).toBe('string')
    expect(typeof obj.body).toBe('string')
    const err = await client().chat.completions.create({ model: 'gpt-4o-mini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Bonjour' }] }).catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
  })

  it('streams the same text as the non-streamed answer, then a usage chunk', async () => {
    const messages = [{ role: 'user' as const, content: 'Écris un e-mail court pour un vendeur à Bordeaux.' }]
    const whole = await client().chat.completions.create({ model: 'gpt-4o-mini', messages })
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let chunks = 0
    let usage: OpenAI.CompletionUsage | undefined
    let finish: string | null = null
    for await (const c of stream) {
      chunks++
      text += c.choices[0]?.delta?.content ?? ''
      finish = c.choices[0]?.finish_reason ?? finish
      if (c.usage) usage = c.usage
    }
    expect(chunks).toBeGreaterThan(3)
    expect(text).toBe(whole.choices[0].message.content)
    expect(finish).toBe('stop')
    expect(usage?.total_tokens).toBe(whole.usage!.total_tokens)
  })

  it('lists models and rejects bad keys and unknown models with OpenAI error shapes', async () => {
    const models = await client().models.list()
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini')
    const badKey = await client({ apiKey: 'sk-wrong' }).models.list().catch((e) => e)
    expect(badKey).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(badKey.code).toBe('invalid_api_key')
    const badModel = await client().chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e)
    expect(badModel).toBeInstanceOf(OpenAI.NotFoundError)
    expect(badModel.code).toBe('model_not_found')
  })

  it('simulates 429 with Retry-After, transient failures, refusals and server errors', async () => {
    const tag = `[sandbox:429x2] ${Math.random()}`
    const first = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: tag }] }).catch((e) => e)
    expect(first).toBeInstanceOf(OpenAI.RateLimitError)
    expect(first.headers.get('retry-after')).toBe('1')
    // The SDK's own retries (honouring retry-after-ms) get through the second failure.
    const ok = await client({ maxRetries: 2 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: tag }] })
    expect(ok.choices[0].message.content).toBeTruthy()

    const viaHeader = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-sandbox-fail': '503' } }).catch((e) => e)
    expect(viaHeader).toBeInstanceOf(OpenAI.InternalServerError)
    expect(viaHeader.status).toBe(503)

    const refusal = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '[sandbox:refusal]' }] })
    expect(refusal.choices[0].message.content).toBeNull()
    expect(refusal.choices[0].message.refusal).toBeTruthy()

    const broken = await client().chat.completions.create({ model: 'gpt-4o-mini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'JSON [sandbox:invalid-json]' }] })
    expect(() => JSON.parse(broken.choices[0].message.content!)).toThrow()
  })
})
