/**
 * The deterministic template renderer: {{variables}} from the context, and
 * the three fallback variants served when the provider cannot write (circuit
 * open, provider down, invalid or refused output). Same input, same output;
 * it never states anything that is not in the context.
 *
 * Variables (the database's private.template_variables() lists the same):
 * firstName, lastName, fullName, civility, companyName, jobTitle, city,
 * postalCode, agencyName, agentName, agentPhone, agencyCity, agencyPhone,
 * marketFact, objective.
 */
import type { Channel, GenerationContext, Language } from './context.ts'
import { prospectDisplayName } from './context.ts'
import { toGsm7 } from './gsm.ts'

export const TEMPLATE_VARIABLES = [
  'firstName', 'lastName', 'fullName', 'civility', 'companyName', 'jobTitle', 'city', 'postalCode',
  'agencyName', 'agentName', 'agentPhone', 'agencyCity', 'agencyPhone', 'marketFact', 'objective',
] as const
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number]

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** Placeholders a text uses, and those not among TEMPLATE_VARIABLES. */
export function templateVariables(text: string): { used: string[]; unknown: string[] } {
  const used = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))]
  return { used, unknown: used.filter((v) => !(TEMPLATE_VARIABLES as readonly string[]).includes(v)) }
}

interface Phrases {
  /** Formal greeting with a name, and without one. */
  hello: (name?: string) => string
  ctas: [string, string, string]
  subjects: [(c: Sub) => string, (c: Sub) => string, (c: Sub) => string]
  intro: (c: Sub) => string
  smsIntro: (c: Sub) => string
  regards: string
}
interface Sub {
  agency: string
  city?: string
  name?: string
}

export const PHRASES: Record<Language, Phrases> = {
  fr: {
    hello: (n) => (n ? `Bonjour ${n},` : 'Madame, Monsieur,'),
    ctas: [
      'Seriez-vous disponible pour un court échange cette semaine ?',
      'Je vous propose d’en parler de vive voix, à votre convenance.',
      'Un simple retour de votre part suffit pour convenir d’un rendez-vous.',
    ],
    subjects: [
      (c) => (c.city ? `Votre projet immobilier à ${c.city}` : 'Votre projet immobilier'),
      (c) => `${c.agency} : un échange à votre convenance`,
      (c) => (c.city ? `Le marché à ${c.city} et votre bien` : 'Le marché et votre bien'),
    ],
    intro: (c) => `Je me permets de vous contacter au nom de ${c.agency}${c.city ? `, à propos de ${c.city}` : ''}.`,
    smsIntro: (c) => `${c.agency} :`,
    regards: 'Bien cordialement,',
  },
  en: {
    hello: (n) => (n ? `Hello ${n},` : 'Dear Sir or Madam,'),
    ctas: [
      'Would you be available for a short call this week?',
      'I would be glad to discuss it at a time that suits you.',
      'A simple reply is enough to arrange a meeting.',
    ],
    subjects: [
      (c) => (c.city ? `Your property plans in ${c.city}` : 'Your property plans'),
      (c) => `${c.agency}: a conversation at your convenience`,
      (c) => (c.city ? `The ${c.city} market and your property` : 'The market and your property'),
    ],
    intro: (c) => `I am reaching out on behalf of ${c.agency}${c.city ? ` about ${c.city}` : ''}.`,
    smsIntro: (c) => `${c.agency}:`,
    regards: 'Kind regards,',
  },
  it: {
    hello: (n) => (n ? `Gentile ${n},` : 'Gentile Signora, Egregio Signore,'),
    ctas: [
      'Sarebbe disponibile per un breve colloquio questa settimana?',
      'Le propongo di parlarne quando Le è più comodo.',
      'Basta una Sua risposta per fissare un appuntamento.',
    ],
    subjects: [
      (c) => (c.city ? `Il Suo progetto immobiliare a ${c.city}` : 'Il Suo progetto immobiliare'),
      (c) => `${c.agency}: un colloquio quando preferisce`,
      (c) => (c.city ? `Il mercato di ${c.city} e il Suo immobile` : 'Il mercato e il Suo immobile'),
    ],
    intro: (c) => `Mi permetto di contattarLa a nome di ${c.agency}${c.city ? ` a proposito di ${c.city}` : ''}.`,
    smsIntro: (c) => `${c.agency}:`,
    regards: 'Cordiali saluti,',
  },
  es: {
    hello: (n) => (n ? `Estimado/a ${n}:` : 'Estimado/a señor/a:'),
    ctas: [
      '¿Tendría disponibilidad para una breve conversación esta semana?',
      'Le propongo comentarlo cuando mejor le convenga.',
      'Basta con su respuesta para concertar una cita.',
    ],
    subjects: [
      (c) => (c.city ? `Su proyecto inmobiliario en ${c.city}` : 'Su proyecto inmobiliario'),
      (c) => `${c.agency}: una conversación cuando usted prefiera`,
      (c) => (c.city ? `El mercado de ${c.city} y su inmueble` : 'El mercado y su inmueble'),
    ],
    intro: (c) => `Me permito contactarle en nombre de ${c.agency}${c.city ? ` en relación con ${c.city}` : ''}.`,
    smsIntro: (c) => `${c.agency}:`,
    regards: 'Atentamente,',
  },
  de: {
    hello: (n) => (n ? `Guten Tag ${n},` : 'Sehr geehrte Damen und Herren,'),
    ctas: [
      'Hätten Sie diese Woche Zeit für ein kurzes Gespräch?',
      'Gerne bespreche ich das mit Ihnen, wann es Ihnen passt.',
      'Eine kurze Antwort genügt, um einen Termin zu vereinbaren.',
    ],
    subjects: [
      (c) => (c.city ? `Ihr Immobilienvorhaben in ${c.city}` : 'Ihr Immobilienvorhaben'),
      (c) => `${c.agency}: ein Gespräch nach Ihrem Wunsch`,
      (c) => (c.city ? `Der Markt in ${c.city} und Ihre Immobilie` : 'Der Markt und Ihre Immobilie'),
    ],
    intro: (c) => `Ich kontaktiere Sie im Namen von ${c.agency}${c.city ? ` zum Thema ${c.city}` : ''}.`,
    smsIntro: (c) => `${c.agency}:`,
    regards: 'Mit freundlichen Grüßen',
  },
}

/** Values of the template variables for this context (absent ones are empty). */
export function variablesFor(ctx: GenerationContext): Record<TemplateVariable, string> {
  const p = ctx.prospect
  const a = ctx.agency
  const fullName = prospectDisplayName({ ...p, companyName: undefined }) ?? ''
  return {
    firstName: p.firstName?.trim() ?? '',
    lastName: p.lastName?.trim() ?? '',
    fullName,
    civility: '',
    companyName: p.companyName?.trim() ?? '',
    jobTitle: p.jobTitle?.trim() ?? '',
    city: p.city?.trim() ?? '',
    postalCode: p.postalCode?.trim() ?? '',
    agencyName: a.name.trim(),
    agentName: a.agentName?.trim() ?? '',
    agentPhone: a.phone?.trim() ?? '',
    agencyCity: a.city?.trim() ?? '',
    agencyPhone: a.phone?.trim() ?? '',
    marketFact: ctx.marketFacts?.[0]?.trim() ?? '',
    objective: (ctx.objective ?? a.questionnaire?.objective ?? '').trim(),
  }
}

/**
 * Replaces every {{variable}}; unknown or empty ones disappear, and the
 * spaces and punctuation they leave behind are tidied ("Bonjour  ," → "Bonjour,").
 */
export function renderTemplate(text: string, vars: Partial<Record<string, string>>): string {
  return text
    .replace(PLACEHOLDER, (_, name: string) => vars[name] ?? '')
    .replace(/[ \t]+([,.;:!?])/g, (_, p: string) => (p === ',' || p === '.' ? p : ` ${p}`))
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]+|[ \t]+$/gm, '')
    .replace(/(^|\n)[,.;:]\s*/g, '$1')
    .trim()
}

export interface Variant {
  subject: string
  body: string
}

const SMS_LIMIT = 160

function firstSentences(text: string, max: number): string {
  const parts = text.split(/(?<=[.!?])\s+/)
  let out = ''
  for (const s of parts) {
    if ((out ? out.length + 1 : 0) + s.length > max) break
    out = out ? `${out} ${s}` : s
  }
  if (out) return out
  // One long sentence: cut at a word boundary.
  const cut = text.slice(0, max - 3)
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 1)).trimEnd()}...`
}

/** Three distinct variants without the provider. */
export function fallbackVariants(ctx: GenerationContext): Variant[] {
  const ph = PHRASES[ctx.language]
  const vars = variablesFor(ctx)
  const name = prospectDisplayName(ctx.prospect)
  const sub: Sub = { agency: vars.agencyName, city: vars.city || undefined, name }
  const signature = [vars.agentName, vars.agencyName].filter(Boolean).join('\n')
  const market = vars.marketFact
  // A template is used as is only in its own channel and language (the renderer does not translate).
  const usable = ctx.template && ctx.template.channel === ctx.channel && ctx.template.language === ctx.language ? ctx.template : undefined
  const templateBody = usable ? renderTemplate(usable.body, vars) : undefined
  const templateSubject = usable?.subject ? renderTemplate(usable.subject, vars) : undefined

  if (ctx.channel === 'sms') {
    // One GSM-7 part: the greeting on its own line, then the template (or the
    // agency's name) and a call to action that makes each variant distinct.
    return ph.ctas.map((cta) => {
      const head = templateBody ? templateBody : `${ph.hello(name)}\n${ph.smsIntro(sub)}`
      const full = toGsm7(`${head} ${cta}`)
      const ctaG = toGsm7(cta)
      const body = full.length <= SMS_LIMIT ? full : `${firstSentences(toGsm7(head), SMS_LIMIT - ctaG.length - 1)} ${ctaG}`
      return { subject: '', body: body.length <= SMS_LIMIT ? body : firstSentences(body, SMS_LIMIT) }
    })
  }

  const body = (k: 0 | 1 | 2) => {
    const main = templateBody ?? `${ph.hello(name)}\n\n${ph.intro(sub)}`
    // Market facts are written by the agency in French: quoted only in a French message.
    const extra = k === 1 && market && ctx.language === 'fr' ? `\n\n${market}` : ''
    const closing = ctx.channel === 'email' ? `\n\n${ph.regards}\n${signature}` : `\n${signature}`
    return `${main}${extra}\n\n${ph.ctas[k]}${closing}`.trim()
  }
  const subjects = ph.subjects.map((s) => s(sub))
  return [0, 1, 2].map((k) => ({
    subject: ctx.channel === 'email' ? (k === 0 && templateSubject ? templateSubject : subjects[k]) : '',
    body: body(k as 0 | 1 | 2),
  }))
}

export function channelLimit(channel: Channel): number {
  return channel === 'sms' ? SMS_LIMIT : channel === 'whatsapp' ? 1024 : 5000
}
