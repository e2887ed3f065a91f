import assert from 'node:assert/strict'
import { createRegistry } from './mod.ts'
import { OpenAIProvider } from './openai.ts'
import { ProviderError } from './types.ts'
import { env, noSandbox } from './testing.ts'

const ai = () => createRegistry(env).ai()

Deno.test({ name: 'openai adapter: completes through the SDK with usage', ignore: noSandbox }, async () => {
  const r = await ai().complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Un SMS de prospection pour un vendeur à Lyon.' }] })
  assert.equal(ai().name, 'openai')
  assert.match(r.content ?? '', /STOP/)
  assert.ok(r.promptTokens > 0 && r.completionTokens > 0)
  assert.equal(r.finishReason, 'stop')
})

Deno.test({ name: 'openai adapter: strict JSON schema output parses', ignore: noSandbox }, async () => {
  const schema = { type: 'object', additionalProperties: false, required: ['subject', 'body'], properties: { subject: { type: 'string', maxLength: 80 }, body: { type: 'string' } } }
  const r = await ai().complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'E-mail pour Mme Roux' }], jsonSchema: { name: 'email', schema } })
  const v = JSON.parse(r.content!)
  assert.deepEqual(Object.keys(v).sort(), ['body', 'subject'])
  assert.ok(v.subject.length <= 80)
})

Deno.test({ name: 'openai adapter: 429 becomes a retryable ProviderError with its delay; bad key is final', ignore: noSandbox }, async () => {
  const e = await ai().complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '[sandbox:429]' }] }).catch((x) => x)
  assert.ok(e instanceof ProviderError)
  assert.equal(e.code, 'rate_limited')
  assert.equal(e.retryable, true)
  assert.equal(e.retryAfterMs, 100)
  const bad = await OpenAIProvider.fromEnv({ OPENAI_API_KEY: 'sk-wrong', OPENAI_BASE_URL: env.OPENAI_BASE_URL }).complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((x) => x)
  assert.equal(bad.code, 'auth')
  assert.equal(bad.retryable, false)
})

Deno.test({ name: 'openai adapter: the sandbox satisfies the AI layer\'s own generation schema', ignore: noSandbox }, async () => {
  const { strictJsonSchema } = await import('../ai/client.ts')
  const { variantsSchema } = await import('../ai/prompt.ts')
  for (const who of ['Mme Leroy, maison à Tours', 'M. Diallo, T2 à Lille']) {
    const r = await ai().complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Trois variantes pour ${who}` }], jsonSchema: { name: 'message_variants', schema: strictJsonSchema(variantsSchema) } })
    const v = variantsSchema.parse(JSON.parse(r.content!))
    assert.equal(v.variants.length, 3)
  }
})
