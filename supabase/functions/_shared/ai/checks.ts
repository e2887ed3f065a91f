/**
 * Checks run on every variant before the user sees it: length per channel
 * (SMS parts counted in GSM-7 or UCS-2), unresolved {{placeholders}},
 * spam-trigger words, a personalisation score, the estimated reading time,
 * and the invented-facts check — numbers and proper names in the output that
 * appear nowhere in the context the prompt gave. Checks flag; the user decides.
 */
import type { Channel, GenerationContext, Language } from './context.ts'
import { contextText } from './context.ts'
import { countSms, type SmsCount } from './gsm.ts'
import type { Variant } from './render.ts'

/** Accent- and case-insensitive form used for every comparison. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[’']/g, "'")
}

// Words and phrases spam filters (and recipients) penalise, per language.
const SPAM: Record<Language, string[]> = {
  fr: ['gratuit', 'gratuitement', '100 %', '100%', 'urgent', 'cliquez ici', 'offre exceptionnelle', 'derniere chance', 'garanti', 'argent facile',
    'gagnez', 'felicitations', 'sans frais', 'promotion', 'meilleur prix', 'offre limitee', 'agissez maintenant', 'credit', 'remise exclusive', 'cadeau'],
  en: ['free', 'click here', 'act now', 'guaranteed', 'winner', 'risk-free', 'urgent', 'limited time', 'best price', 'cash', 'congratulations',
    'no obligation', 'exclusive deal', '100%', 'buy now'],
  it: ['gratis', 'gratuito', 'clicca qui', 'urgente', 'garantito', 'offerta limitata', 'vincitore', 'ultima occasione', '100%'],
  es: ['gratis', 'haga clic aqui', 'urgente', 'garantizado', 'oferta limitada', 'ganador', 'ultima oportunidad', '100%'],
  de: ['kostenlos', 'gratis', 'hier klicken', 'dringend', 'garantiert', 'gewinner', 'nur heute', 'letzte chance', '100%'],
}

export interface SpamCheck {
  words: string[]
  exclamations: number
  capsWords: string[]
  ok: boolean
}

/** Triggers found (inflected forms too: gratuit, gratuite, gratuits), repeated '!' and shouted words. */
export function spamCheck(text: string, language: Language): SpamCheck {
  const f = fold(text)
  const words = [...new Set([...SPAM[language], ...(language === 'en' ? [] : SPAM.en.filter((w) => w === '100%'))])]
    .filter((w) => new RegExp(`(^|[^\\p{L}\\d])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${/\p{L}$/u.test(w) ? '(?:e|s|es)?' : ''}($|[^\\p{L}])`, 'u').test(f))
  const exclamations = (text.match(/!/g) ?? []).length
  const capsWords = [...new Set((text.match(/\b\p{Lu}{4,}\b/gu) ?? []))]
  return { words, exclamations, capsWords, ok: words.length === 0 && exclamations <= 1 && capsWords.length === 0 }
}

export interface InventedFacts {
  numbers: string[]
  names: string[]
  /** False for German, where every noun is capitalised and names cannot be told apart. */
  namesChecked: boolean
  ok: boolean
}

// Capitalised words that are not names: greetings, pronouns, months, days, courtesy titles.
const COMMON_CAPITALISED = new Set(
  [
    'bonjour', 'bonsoir', 'madame', 'monsieur', 'mesdames', 'messieurs', 'cordialement', 'bien', 'je', 'nous', 'vous', 'votre', 'vos', 'notre',
    'mme', 'mlle', 'mr', 'mrs', 'ms', 'dr', 'me', 'maitre', 'hello', 'dear', 'sir', 'madam', 'kind', 'regards', 'best', 'i', 'we', 'you', 'your',
    'gentile', 'egregio', 'signora', 'signore', 'lei', 'la', 'le', 'suo', 'sua', 'suoi', 'sue', 'loro', 'su', 'sus', 'estimado', 'estimada', 'usted', 'senor', 'senora', 'atentamente', 'cordiali',
    'saluti', 'guten', 'tag', 'sehr', 'geehrte', 'sie', 'ihr', 'ihre', 'p.s', 'ps', 'ps.', 'sms', 'stop', 'email', 'e-mail', 'whatsapp', 'ok',
    'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche', 'janvier', 'fevrier', 'mars', 'avril', 'mai', 'juin', 'juillet', 'aout',
    'septembre', 'octobre', 'novembre', 'decembre', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'january',
    'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  ],
)

const NUMBER = /\d+(?:[ \u00a0\u202f.,]\d+)*/g
const digitsOf = (s: string) => s.replace(/[^\d]/g, '')

/**
 * Numbers and proper names in `output` absent from `context`. Numbers are
 * compared by their digits ("1 200" = "1200" = "1.200"); names are words
 * with a capital initial that do not start a sentence, are not common
 * capitalised words, and do not occur in the context (accents and case ignored).
 */
export function inventedFacts(output: string, context: string, language: Language): InventedFacts {
  const ctxDigits = new Set((context.match(NUMBER) ?? []).map(digitsOf))
  const ctxAllDigits = (context.match(NUMBER) ?? []).map(digitsOf).join(' ')
  const numbers = [...new Set((output.match(NUMBER) ?? []).map((n) => n.trim()))].filter((n) => {
    const d = digitsOf(n)
    return d !== '' && !ctxDigits.has(d) && !ctxAllDigits.includes(d)
  })

  const namesChecked = language !== 'de'
  const names: string[] = []
  if (namesChecked) {
    const ctxWords = new Set(fold(context).split(/[^\p{L}\d'-]+/u).filter(Boolean))
    const re = /(^|[^\p{L}\d])(\p{Lu}[\p{L}'’-]+)/gu
    for (const line of output.split('\n')) {
      let m: RegExpExecArray | null
      while ((m = re.exec(line))) {
        const word = m[2]
        const before = line.slice(0, m.index + m[1].length).trimEnd()
        const sentenceStart = /^[-•*\s¿¡"«“(]*$/.test(before) || /[.!?:…][\s¿¡"«“(]*$/.test(before)
        const w = fold(word).replace(/[’']s$/, '')
        if (sentenceStart || COMMON_CAPITALISED.has(w) || ctxWords.has(w)) continue
        // "Saint-Germain": accepted when every part is in the context.
        if (w.split(/[-']/).every((part) => !part || ctxWords.has(part) || COMMON_CAPITALISED.has(part))) continue
        names.push(word)
      }
    }
  }
  const uniqNames = [...new Set(names)]
  return { numbers, names: uniqNames, namesChecked, ok: numbers.length === 0 && uniqNames.length === 0 }
}

/** Seconds to read `text` at 200 words a minute (at least 1 for a non-empty text). */
export function readingSeconds(text: string): number {
  const words = text.split(/\s+/).filter((w) => /[\p{L}\d]/u.test(w)).length
  return words === 0 ? 0 : Math.max(1, Math.round((words / 200) * 60))
}

/**
 * 0–100: how much of what we know about this prospect the message uses —
 * their name (or company) 35, their city 20, their company/job/specialisation
 * signals 20, shared history or a local market fact 15, the agency's name 10.
 */
export function personalisationScore(text: string, ctx: GenerationContext): number {
  const f = fold(text)
  const has = (v?: string) => Boolean(v && v.trim().length >= 2 && f.includes(fold(v.trim())))
  const p = ctx.prospect
  let score = 0
  if (has(p.lastName) || has(p.firstName) || (p.kind === 'company' && has(p.companyName))) score += 35
  if (has(p.city)) score += 20
  if (has(p.companyName) || has(p.jobTitle) || (p.signals ?? []).some((s) => has(s))) score += 20
  const keywords = (s: string) => fold(s).split(/[^\p{L}\d]+/u).filter((w) => w.length >= 6)
  const mentions = (s: string) => keywords(s).some((w) => f.includes(w))
  if ((ctx.marketFacts ?? []).some(mentions) || (p.history ?? []).some((h) => mentions(h.summary))) score += 15
  if (has(ctx.agency.name)) score += 10
  return score
}

export interface VariantChecks {
  characters: number
  words: number
  limit: number
  lengthOk: boolean
  sms?: SmsCount
  subjectLength?: number
  unresolvedPlaceholders: string[]
  spam: SpamCheck
  personalisation: number
  readingSeconds: number
  inventedFacts: InventedFacts
  /** Stable codes of what failed, for the UI. */
  warnings: string[]
}

export function checkVariant(v: Variant, ctx: GenerationContext, context: string = contextText(ctx)): VariantChecks {
  const text = ctx.channel === 'email' ? `${v.subject}\n${v.body}` : v.body
  const characters = Array.from(v.body).length
  const words = v.body.split(/\s+/).filter(Boolean).length
  const limit = ctx.channel === 'sms' ? 160 : ctx.channel === 'whatsapp' ? 1024 : 5000
  const sms = ctx.channel === 'sms' ? countSms(v.body) : undefined
  // SMS: one GSM-7 part (160 septets) is the target; WhatsApp template bodies stop at 1024.
  const lengthOk = ctx.channel === 'sms' ? sms!.segments === 1 && sms!.encoding === 'GSM-7' : characters <= limit && characters > 0
  const unresolvedPlaceholders = [...new Set(text.match(/\{\{[^}]*\}?\}?/g) ?? [])]
  const spam = spamCheck(text, ctx.language)
  const invented = inventedFacts(text, context, ctx.language)
  const warnings: string[] = []
  if (!lengthOk) warnings.push(ctx.channel === 'sms' ? (sms!.encoding === 'UCS-2' ? 'sms_not_gsm7' : 'sms_too_long') : 'too_long')
  if (ctx.channel === 'email' && (!v.subject.trim() || v.subject.length > 78)) warnings.push('subject_length')
  if (unresolvedPlaceholders.length) warnings.push('unresolved_placeholder')
  if (!spam.ok) warnings.push('spam_triggers')
  if (!invented.ok) warnings.push('invented_facts')
  return {
    characters,
    words,
    limit,
    lengthOk,
    sms,
    subjectLength: ctx.channel === 'email' ? v.subject.length : undefined,
    unresolvedPlaceholders,
    spam,
    personalisation: personalisationScore(text, ctx),
    readingSeconds: readingSeconds(text),
    inventedFacts: invented,
    warnings,
  }
}
