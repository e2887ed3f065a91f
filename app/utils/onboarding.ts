/** Onboarding wizard: steps, what counts as done, the completion percentage. */
export const ONBOARDING_STEPS = ['agency', 'market', 'questionnaire', 'contacts', 'message', 'go'] as const
export type OnboardingStepKey = (typeof ONBOARDING_STEPS)[number]

export interface Objection { objection: string; answer: string }
export interface Questionnaire {
  offer: string
  differentiators: string
  objections: Objection[]
  tone: string
  personas: string[]
  objective: string
}
export interface OnboardingData { questionnaire?: Partial<Questionnaire>; skipped?: number[] }

export interface TenantOnboardingView {
  legal_name: string
  siret: string | null
  city: string | null
  specialisations: string[]
  property_types: string[]
  geographic_zones: string[]
  onboarding: OnboardingData | null
  onboarding_step: number
  onboarding_completed_at: string | null
}

export const TONES = ['professional', 'warm', 'premium', 'direct'] as const
export const OBJECTIVES = ['appointment', 'callback', 'valuation', 'landing'] as const
export const PERSONAS = ['sellers', 'landlords', 'buyers', 'investors', 'businesses', 'heirs'] as const

/** Which of steps 1–5 are done (GO is the completion itself). Skipped steps count as done. */
export function stepsDone(t: TenantOnboardingView, contactsCount = 0): Record<OnboardingStepKey, boolean> {
  const skipped = new Set(t.onboarding?.skipped ?? [])
  const q = t.onboarding?.questionnaire ?? {}
  return {
    agency: Boolean(t.legal_name && (t.siret || t.city)),
    market: t.specialisations.length > 0 && t.geographic_zones.length > 0,
    questionnaire: Boolean(q.offer?.trim() && q.tone && q.objective),
    contacts: contactsCount > 0 || skipped.has(4),
    message: skipped.has(5) || t.onboarding_step >= 6,
    go: Boolean(t.onboarding_completed_at),
  }
}

export function completionPercent(t: TenantOnboardingView, contactsCount = 0): number {
  if (t.onboarding_completed_at) return 100
  const d = stepsDone(t, contactsCount)
  const keys: OnboardingStepKey[] = ['agency', 'market', 'questionnaire', 'contacts', 'message']
  return Math.round((keys.filter((k) => d[k]).length / (keys.length + 1)) * 100)
}

/** The step to resume at: the first one not done, starting at 1. */
export function resumeStep(t: TenantOnboardingView, contactsCount = 0): number {
  const d = stepsDone(t, contactsCount)
  const i = ONBOARDING_STEPS.findIndex((k) => !d[k])
  return i === -1 ? 6 : i + 1
}
