/**
 * The AI writing layer from the app: generation through the ai-generate edge
 * function with streaming (server-sent events relayed by /functions/v1), the
 * partial variants shown while the model writes, feedback on the chosen
 * variant, "teach the AI" (ai_guidelines), the test send to oneself
 * (send-test), and the month's budget and usage for the settings page.
 */
import type { Channel, SampleContact } from './useTemplates'

export interface VariantChecks {
  characters: number
  words: number
  limit: number
  lengthOk: boolean
  sms?: { encoding: string; segments: number; units: number; perSegment: number }
  subjectLength?: number
  unresolvedPlaceholders: string[]
  spam: { words: string[]; exclamations: number; capsWords: string[]; ok: boolean }
  personalisation: number
  readingSeconds: number
  inventedFacts: { numbers: string[]; names: string[]; ok: boolean }
  warnings: string[]
}
export interface GeneratedVariant { subject: string; body: string; angle: string; source: 'ai' | 'template'; checks: VariantChecks }
export interface Generation {
  generation_id: string
  channel: Channel
  language: string
  variants: GeneratedVariant[]
  facts_used: string[]
  fallback: boolean
  fallback_notice: { code: string; fr: string; en: string } | null
  budget: { state: string; ratio: number | null; spent_eur: number; budget_eur: number | null }
  model: string
  cost_eur: number
}
export interface GenerateInput {
  channel: Channel
  language?: string
  contact_id?: string
  sample?: Partial<SampleContact>
  template_id?: string
  library_key?: string
  objective?: string
  instruction?: string
  purpose?: 'message' | 'first_message'
}

/** An error of the AI functions, with the server's French and English sentences. */
export class AiRequestError extends Error {
  constructor(readonly code: string, readonly fr: string, readonly en: string, readonly status = 0, readonly details: Record<string, unknown> = {}) {
    super(en || code)
    this.name = 'AiRequestError'
  }
}

function errorFrom(body: unknown, status: number): AiRequestError {
  const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error
  const d = e?.details ?? {}
  const fr = typeof d.message_fr === 'string' ? d.message_fr : ''
  const en = typeof d.message_en === 'string' ? d.message_en : e?.message ?? ''
  return new AiRequestError(typeof d.code === 'string' ? d.code : e?.code ?? 'unknown', fr, en, status, d)
}

/** Parses server-sent events from text chunks; returns the complete events and the unfinished rest. */
export function parseSse(buffer: string): { events: { event: string; data: string }[]; rest: string } {
  const events: { event: string; data: string }[] = []
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || !line) continue
      const i = line.indexOf(':')
      const field = i === -1 ? line : line.slice(0, i)
      const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '')
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    if (data.length) events.push({ event, data: data.join('\n') })
  }
  return { events, rest }
}

function unescapeJsonString(s: string): string {
  // Drop a dangling escape at the end of an unfinished string.
  const safe = s.replace(/\\u[0-9a-fA-F]{0,3}$|\\$/, '')
  try {
    return JSON.parse(`"${safe}"`) as string
  } catch {
    return safe.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
  }
}

/**
 * The variants as far as the model has written them: the subject and body
 * strings of `{"variants":[{…},{…},{…}]}` read from unfinished JSON, so the
 * user sees the text appear as it streams.
 */
export function partialVariants(raw: string): { subject: string; body: string }[] {
  const out: { subject: string; body: string; seen: Set<string> }[] = []
  const re = /"(subject|body|angle)"\s*:\s*"((?:[^"\\]|\\.)*)("?)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(raw))) {
    const field = m[1] as 'subject' | 'body' | 'angle'
    let cur = out[out.length - 1]
    if (!cur || cur.seen.has(field)) {
      cur = { subject: '', body: '', seen: new Set() }
      out.push(cur)
    }
    cur.seen.add(field)
    if (field !== 'angle') cur[field] = unescapeJsonString(m[2]!)
  }
  return out.slice(0, 3).map(({ subject, body }) => ({ subject, body }))
}

export function useAiGenerate() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const { supabaseUrl, supabaseKey } = useRuntimeConfig().public

  async function authHeaders(): Promise<Record<string, string>> {
    const { data } = await supabase.auth.getSession()
    const token = data.session?.access_token
    if (!token) throw new AiRequestError('not_authenticated', 'Session expirée : reconnectez-vous.', 'Session expired: sign in again.', 401)
    return { authorization: `Bearer ${token}`, apikey: supabaseKey, 'content-type': 'application/json' }
  }

  async function call(name: string, body: Record<string, unknown>, accept = 'application/json', signal?: AbortSignal): Promise<Response> {
    let res: Response
    try {
      res = await fetch(`${supabaseUrl}/functions/v1/${name}`, { method: 'POST', headers: { ...(await authHeaders()), accept }, body: JSON.stringify(body), signal })
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e
      throw new AiRequestError('network', 'Connexion impossible au service. Vérifiez votre réseau et réessayez.', 'Could not reach the service. Check your connection and retry.')
    }
    if (!res.ok) throw errorFrom(await res.json().catch(() => null), res.status)
    return res
  }

  /**
   * Three variants, streamed: `onPartial` receives the variants as far as they
   * are written, every time a piece arrives (and an empty list when a retry
   * starts over). Resolves with the complete, checked generation.
   */
  async function generate(input: GenerateInput, opts: { onPartial?: (v: { subject: string; body: string }[]) => void; signal?: AbortSignal } = {}): Promise<Generation> {
    const res = await call('ai-generate', { tenant_id: session.currentTenantId, ...input, stream: true }, 'text/event-stream', opts.signal)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let raw = ''
    let result: Generation | null = null
    for (;;) {
      const { value, done } = await reader.read()
      if (value) buffer += decoder.decode(value, { stream: true })
      const parsed = parseSse(done ? `${buffer}\n\n` : buffer)
      buffer = parsed.rest
      for (const ev of parsed.events) {
        const data = JSON.parse(ev.data) as Record<string, unknown>
        if (ev.event === 'delta') {
          raw += String(data.text ?? '')
          opts.onPartial?.(partialVariants(raw))
        } else if (ev.event === 'reset') {
          raw = ''
          opts.onPartial?.([])
        } else if (ev.event === 'result') result = data as unknown as Generation
        else if (ev.event === 'error') throw errorFrom(data, 200)
      }
      if (done) break
    }
    if (!result) throw new AiRequestError('stream_interrupted', 'La génération a été interrompue. Réessayez.', 'Generation was interrupted. Please retry.')
    return result
  }

  /** Records the variant the user kept and their edits (the feedback loop). */
  async function choose(generationId: string, index: number, edited: { subject?: string; body: string }) {
    const { error } = await supabase.from('ai_generations')
      .update({ chosen_variant: index, edited_subject: edited.subject ?? null, edited_body: edited.body })
      .eq('id', generationId)
    if (error) throw error
  }

  /** "Teach the AI": a preference or correction the agency's later prompts follow. */
  async function teach(text: string, kind: 'preference' | 'correction' = 'preference', generationId?: string) {
    const { error } = await supabase.from('ai_guidelines')
      .insert({ tenant_id: session.currentTenantId, text: text.trim(), kind, generation_id: generationId ?? null, created_by: session.user?.id })
    if (error) throw error
  }

  async function sendTest(input: { subject: string; html?: string; text?: string; generation_id?: string }): Promise<{ to: string }> {
    const res = await call('send-test', { tenant_id: session.currentTenantId, ...input })
    return (await res.json()) as { to: string }
  }

  return { generate, choose, teach, sendTest }
}
