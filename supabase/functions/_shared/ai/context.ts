/**
 * What a generation knows: the agency (profile, questionnaire, guidelines),
 * the prospect, local market facts and the chosen template, turned into a
 * list of facts. The facts are the only material the model may use; the same
 * list is shown to the user in plain French ("Faits utilisés") and is what
 * the invented-facts check compares the output with.
 */
export const CHANNELS = ['email', 'sms', 'whatsapp'] as const
export type Channel = (typeof CHANNELS)[number]
export const LANGUAGES = ['fr', 'en', 'it', 'es', 'de'] as const
export type Language = (typeof LANGUAGES)[number]

export interface Questionnaire {
  offer?: string
  differentiators?: string[]
  objections?: { objection: string; answer: string }[]
  tone?: string
  objective?: string
}

export interface AgencyProfile {
  name: string
  city?: string
  phone?: string
  agentName?: string
  specialisations?: string[]
  propertyTypes?: string[]
  zones?: string[]
  questionnaire?: Questionnaire
  /** Corrections and preferences the agency taught the AI. */
  guidelines?: string[]
}

export interface HistoryItem {
  date: string
  kind: string
  summary: string
}

export interface Prospect {
  kind: 'person' | 'company'
  firstName?: string
  lastName?: string
  companyName?: string
  jobTitle?: string
  city?: string
  postalCode?: string
  nafCode?: string
  lifecycleStage?: string
  /** Specialisation signals: tags, activity, custom fields worth mentioning. */
  signals?: string[]
  history?: HistoryItem[]
}

export interface TemplateInput {
  id?: string
  name: string
  channel: Channel
  language: Language
  subject?: string | null
  body: string
}

export interface GenerationContext {
  channel: Channel
  language: Language
  agency: AgencyProfile
  prospect: Prospect
  marketFacts?: string[]
  template?: TemplateInput
  objective?: string
  /** "plus court", "plus formel"… on regeneration. */
  instruction?: string
}

export type FactSource = 'agency' | 'questionnaire' | 'prospect' | 'history' | 'market' | 'template' | 'request'

export interface Fact {
  key: string
  /** Plain-French label shown to the user. */
  label: string
  value: string
  source: FactSource
}

const clean = (s: unknown): string | undefined => {
  if (typeof s !== 'string') return undefined
  const t = s.replace(/\s+/g, ' ').trim()
  return t ? t.slice(0, 500) : undefined
}
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split(/\n|;/) : []).map(clean).filter((x): x is string => Boolean(x)).slice(0, 12)

/** The questionnaire from tenants.onboarding (any shape; unknown or empty parts are dropped). */
export function questionnaireFrom(onboarding: unknown): Questionnaire {
  const q = (onboarding && typeof onboarding === 'object' ? (onboarding as Record<string, unknown>).questionnaire : undefined) as
    | Record<string, unknown>
    | undefined
  if (!q || typeof q !== 'object') return {}
  const objections = Array.isArray(q.objections)
    ? q.objections
      .map((o) => (o && typeof o === 'object' ? { objection: clean((o as Record<string, unknown>).objection), answer: clean((o as Record<string, unknown>).answer) } : {}))
      .filter((o): o is { objection: string; answer: string } => Boolean(o.objection && o.answer))
      .slice(0, 8)
    : []
  return {
    offer: clean(q.offer),
    differentiators: list(q.differentiators),
    objections,
    tone: clean(q.tone),
    objective: clean(q.objective),
  }
}

const SPECIALISATION_FR: Record<string, string> = {
  residential: 'résidentiel',
  commercial: 'immobilier commercial',
  luxury: 'prestige',
  rental: 'location',
}

export function prospectDisplayName(p: Prospect): string | undefined {
  const person = [clean(p.firstName), clean(p.lastName)].filter(Boolean).join(' ')
  return person || clean(p.companyName)
}

// The onboarding questionnaire stores choices as codes (app/utils/onboarding.ts TONES, OBJECTIVES);
// facts and prompts say them in words.
const TONE_FR: Record<string, string> = { professional: 'professionnel', warm: 'chaleureux', premium: 'haut de gamme', direct: 'direct' }
const OBJECTIVE_FR: Record<string, string> = {
  appointment: 'obtenir un rendez-vous', callback: 'obtenir un rappel téléphonique', valuation: 'proposer une visite d’estimation',
  landing: 'faire visiter la page de présentation de l’agence',
}
const PROPERTY_TYPE_FR: Record<string, string> = {
  apartment: 'appartements', house: 'maisons', land: 'terrains', office: 'bureaux', retail: 'commerces', warehouse: 'entrepôts',
  building: 'immeubles', parking: 'parkings', commercial: 'locaux commerciaux',
}

/** The facts a prompt may use, in a stable order. */
export function buildFacts(ctx: GenerationContext): Fact[] {
  const facts: Fact[] = []
  const add = (key: string, label: string, value: string | undefined, source: FactSource) => {
    const v = clean(value)
    if (v) facts.push({ key, label, value: v, source })
  }
  const a = ctx.agency
  add('agency.name', 'Nom de l’agence', a.name, 'agency')
  add('agency.city', 'Ville de l’agence', a.city, 'agency')
  add('agency.agent', 'Conseiller qui signe', a.agentName, 'agency')
  add('agency.phone', 'Téléphone de l’agence', a.phone, 'agency')
  if (a.specialisations?.length) add('agency.specialisations', 'Spécialités de l’agence', a.specialisations.map((s) => SPECIALISATION_FR[s] ?? s).join(', '), 'agency')
  if (a.propertyTypes?.length) add('agency.property_types', 'Types de biens', a.propertyTypes.map((t) => PROPERTY_TYPE_FR[t] ?? t).join(', '), 'agency')
  if (a.zones?.length) add('agency.zones', 'Secteurs couverts', a.zones.join(', '), 'agency')
  const q = a.questionnaire ?? {}
  add('questionnaire.offer', 'Offre de l’agence', q.offer, 'questionnaire')
  ;(q.differentiators ?? []).forEach((d, i) => add(`questionnaire.differentiator.${i + 1}`, 'Point fort', d, 'questionnaire'))
  ;(q.objections ?? []).forEach((o, i) =>
    add(`questionnaire.objection.${i + 1}`, 'Objection fréquente et réponse', `${o.objection} → ${o.answer}`, 'questionnaire')
  )
  add('questionnaire.tone', 'Ton souhaité', q.tone ? TONE_FR[q.tone] ?? q.tone : undefined, 'questionnaire')

  const p = ctx.prospect
  add('prospect.first_name', 'Prénom du prospect', p.firstName, 'prospect')
  add('prospect.last_name', 'Nom du prospect', p.lastName, 'prospect')
  add('prospect.company', 'Entreprise du prospect', p.companyName, 'prospect')
  add('prospect.job_title', 'Fonction du prospect', p.jobTitle, 'prospect')
  add('prospect.city', 'Ville du prospect', p.city, 'prospect')
  add('prospect.postal_code', 'Code postal du prospect', p.postalCode, 'prospect')
  add('prospect.naf', 'Code NAF (activité)', p.nafCode, 'prospect')
  add('prospect.stage', 'Étape du prospect', p.lifecycleStage, 'prospect')
  ;(p.signals ?? []).slice(0, 8).forEach((s, i) => add(`prospect.signal.${i + 1}`, 'Signal de spécialisation', s, 'prospect'))
  ;(p.history ?? []).slice(0, 5).forEach((h, i) =>
    add(`history.${i + 1}`, 'Historique avec l’agence', `${h.date.slice(0, 10)} — ${h.kind} : ${h.summary}`, 'history')
  )
  ;(ctx.marketFacts ?? []).slice(0, 8).forEach((m, i) => add(`market.${i + 1}`, 'Fait de marché local', m, 'market'))
  const objective = ctx.objective ?? q.objective
  add('request.objective', 'Objectif du message', objective ? OBJECTIVE_FR[objective] ?? objective : undefined, 'request')
  if (ctx.template) add('template.name', 'Modèle choisi', ctx.template.name, 'template')
  return facts
}

/** "Faits utilisés", one plain-French line per fact. */
export function factsUsedFr(facts: Fact[]): string[] {
  return facts.map((f) => `${f.label} : ${f.value}`)
}

/** Everything the output may legitimately draw on, as one text (for the invented-facts check). */
export function contextText(ctx: GenerationContext, facts: Fact[] = buildFacts(ctx)): string {
  return [
    ...facts.map((f) => f.value),
    ctx.template?.subject ?? '',
    ctx.template?.body ?? '',
    ...(ctx.agency.guidelines ?? []),
  ].join('\n')
}
