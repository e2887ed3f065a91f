/**
 * A local OpenAI-compatible server for tests (port 0): answers
 * POST /v1/chat/completions the way the API does, from a script of responses
 * — HTTP errors with headers, invalid JSON, refusals, or a deterministic
 * structured answer built from the prompt's facts. Used where the stack's
 * provider sandbox is not running.
 */
export type Scripted =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { refusal: string }
  | 'variants'
  | 'hang'

export interface FakeOpenAI {
  baseURL: string
  requests: Record<string, unknown>[]
  /** Responses still to serve, in order; when empty, 'variants'. */
  script: Scripted[]
  close(): Promise<void>
}

function fact(user: string, label: string): string | undefined {
  return new RegExp(`\\] ${label}: (.+)`).exec(user)?.[1]?.trim()
}

/** Three distinct variants that use only facts present in the prompt. */
export function variantsFromPrompt(messages: { role: string; content: string }[]): string {
  const user = messages.find((m) => m.role === 'user')?.content ?? ''
  const system = messages.find((m) => m.role === 'system')?.content ?? ''
  const agency = fact(user, 'Nom de l’agence') ?? 'Agence'
  const first = fact(user, 'Prénom du prospect')
  const city = fact(user, 'Ville du prospect')
  const sms = /SMS: subject must be an empty string/.test(system)
  const hello = first ? `Bonjour ${first},` : 'Madame, Monsieur,'
  const where = city ? ` a ${city}` : ''
  const bodies = sms
    ? [`${hello}\n${agency} : un echange${where} cette semaine ?`, `${hello}\n${agency} : une estimation${where} vous interesse ?`, `${hello}\n${agency} : quand pouvons-nous en parler ?`]
    : [
      `${hello}\n\n${agency} vous propose un echange${where}.\n\nCordialement,\n${agency}`,
      `${hello}\n\nLe marche${where} evolue ; ${agency} peut vous en parler.\n\nCordialement,\n${agency}`,
      `${hello}\n\nQuel est votre projet${where} ?\n\nCordialement,\n${agency}`,
    ]
  return JSON.stringify({
    variants: bodies.map((body, i) => ({ subject: sms ? '' : ['Votre projet', 'Le marche local', 'Une question'][i] + where, body, angle: ['direct', 'valeur', 'question'][i] })),
  })
}

export function startFakeOpenAI(script: Scripted[] = []): FakeOpenAI {
  const requests: Record<string, unknown>[] = []
  const state = { script }
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, async (req) => {
    const url = new URL(req.url)
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) return new Response('not found', { status: 404 })
    const body = await req.json()
    requests.push(body)
    const next = state.script.shift() ?? 'variants'
    if (next === 'hang') {
      await new Promise((r) => setTimeout(r, 1000))
      return new Response('late', { status: 500 })
    }
    if (typeof next === 'object' && 'status' in next) {
      return Response.json(next.body ?? { error: { message: 'scripted failure', type: 'server_error' } }, { status: next.status, headers: next.headers })
    }
    const message = typeof next === 'object' && 'refusal' in next
      ? { role: 'assistant', content: null, refusal: next.refusal }
      : { role: 'assistant', content: next === 'variants' ? variantsFromPrompt(body.messages) : next.content, refusal: null }
    const usage = typeof next === 'object' && 'usage' in next && next.usage ? next.usage : { prompt_tokens: 1000, completion_tokens: 400 }
    return Response.json({
      id: `chatcmpl-${requests.length}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model: body.model,
      choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    })
  })
  return {
    baseURL: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    get script() {
      return state.script
    },
    set script(s: Scripted[]) {
      state.script = s
    },
    close: () => server.shutdown(),
  }
}
