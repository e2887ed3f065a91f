/**
 * The prompt builder: turns a GenerationContext into chat messages for the
 * model, the facts used (for the user, in plain French) and the JSON schema
 * the answer must follow. Pure and deterministic, so it is unit-tested.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { z } from 'zod'
import { buildFacts, type Channel, type Fact, factsUsedFr, type GenerationContext, type Language } from './context.ts'

export const variantsSchema = z.object({
  variants: z
    .array(z.object({ subject: z.string().max(200), body: z.string().min(1).max(6000), angle: z.string().max(120) }))
    .length(3),
})
export type VariantsOutput = z.infer<typeof variantsSchema>

const LANGUAGE_NAME: Record<Language, string> = { fr: 'French', en: 'English', it: 'Italian', es: 'Spanish', de: 'German' }

/** Cultural register per language: formal address by default. */
export const REGISTER: Record<Language, string> = {
  fr: 'Use "vous" (vouvoiement) throughout, never "tu". Courteous, precise, no anglicisms.',
  en: 'Polite, professional British-neutral English; no slang.',
  it: 'Use the formal "Lei" form throughout.',
  es: 'Use the formal "usted" form throughout.',
  de: 'Use the formal "Sie" form throughout.',
}

const CHANNEL_RULES: Record<Channel, string> = {
  email:
    'E-mail: a subject of at most 60 characters and a body of 60 to 160 words in short paragraphs, ending with the signature. Plain text, no HTML, no links.',
  sms:
    'SMS: subject must be an empty string. The body must fit in ONE SMS: at most 160 characters, using only GSM-7 characters ' +
    '(avoid ç, â, ê, î, ô, û, œ, curly apostrophes ’ and emojis; use straight apostrophes). Start with the agency name.',
  whatsapp:
    'WhatsApp: subject must be an empty string. A body of at most 600 characters, conversational but formal, no links, no emojis, ' +
    'usable as an approved message template.',
}

export interface BuiltPrompt {
  messages: ChatCompletionMessageParam[]
  facts: Fact[]
  /** "Faits utilisés" shown to the user. */
  factsUsed: string[]
}

export function buildPrompt(ctx: GenerationContext): BuiltPrompt {
  const facts = buildFacts(ctx)
  const q = ctx.agency.questionnaire ?? {}
  const system = [
    `You write prospecting messages for the French real-estate agency "${ctx.agency.name}", like its best negotiator would: specific, warm, brief, never pushy.`,
    `Write in ${LANGUAGE_NAME[ctx.language]}. ${REGISTER[ctx.language]}`,
    q.tone ? `The agency's preferred tone: ${q.tone}.` : 'Tone: professional and warm.',
    CHANNEL_RULES[ctx.channel],
    'Use ONLY the facts listed by the user. Never invent numbers, prices, dates, names, places, sales, testimonials or statistics. ' +
    'If a fact is missing (for example the prospect\'s name), write around it (for example "Madame, Monsieur").',
    'Do not add an unsubscribe line or legal footer: the sending layer adds it.',
    'Return exactly 3 variants that differ in angle and wording (1: direct and short, 2: value for the prospect using a local fact, 3: a question that invites a reply). ' +
    'Each variant: subject, body, and angle (a few words describing it).',
    ...(ctx.agency.guidelines?.length ? ['The agency taught you these preferences; follow them:', ...ctx.agency.guidelines.map((g) => `- ${g}`)] : []),
  ].join('\n')

  const user = [
    'FACTS (the only material you may use):',
    ...facts.map((f) => `- [${f.key}] ${f.label}: ${f.value}`),
    '',
    ctx.template
      ? `TEMPLATE to follow and personalise ("${ctx.template.name}"), placeholders already describe where facts go:\n` +
        (ctx.template.subject ? `Subject: ${ctx.template.subject}\n` : '') + `Body:\n${ctx.template.body}`
      : 'No template: write from the facts.',
    '',
    `OBJECTIVE: ${ctx.objective ?? q.objective ?? 'obtain a first conversation with the prospect'}`,
    ...(ctx.instruction ? [`INSTRUCTION for this version: ${ctx.instruction}`] : []),
  ].join('\n')

  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    facts,
    factsUsed: factsUsedFr(facts),
  }
}
