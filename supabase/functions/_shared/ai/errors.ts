/**
 * Stable error codes of the AI layer, with the French and English text the UI
 * shows. Clients branch on `code`; the texts may be reworded.
 */
export const AI_ERRORS = {
  ai_budget_exceeded: {
    status: 402,
    fr: 'Le budget IA mensuel de l’agence est dépassé : la génération est suspendue jusqu’au mois prochain ou jusqu’à une hausse du budget.',
    en: 'The agency’s monthly AI budget is exceeded: generation is paused until next month or until the budget is raised.',
  },
  ai_provider_unavailable: {
    status: 503,
    fr: 'Le service de rédaction IA est indisponible ; un modèle standard a été utilisé.',
    en: 'The AI writing service is unavailable; a standard template was used.',
  },
  ai_invalid_output: {
    status: 502,
    fr: 'La réponse de l’IA était inexploitable ; un modèle standard a été utilisé.',
    en: 'The AI answer could not be used; a standard template was used.',
  },
  ai_refused: {
    status: 502,
    fr: 'L’IA a refusé de rédiger ce message ; un modèle standard a été utilisé.',
    en: 'The AI declined to write this message; a standard template was used.',
  },
  ai_circuit_open: {
    status: 503,
    fr: 'Le service de rédaction IA rencontre des erreurs répétées ; un modèle standard a été utilisé.',
    en: 'The AI writing service is failing repeatedly; a standard template was used.',
  },
  ai_timeout: {
    status: 504,
    fr: 'Le service de rédaction IA n’a pas répondu à temps ; un modèle standard a été utilisé.',
    en: 'The AI writing service did not answer in time; a standard template was used.',
  },
  contact_not_found: {
    status: 404,
    fr: 'Ce contact est introuvable dans l’agence.',
    en: 'This contact was not found in the agency.',
  },
  template_not_found: {
    status: 404,
    fr: 'Ce modèle est introuvable dans l’agence.',
    en: 'This template was not found in the agency.',
  },
  contact_required: {
    status: 422,
    fr: 'Choisissez un contact (ou un exemple de contact) pour rédiger le message.',
    en: 'Pick a contact (or a sample contact) to write the message for.',
  },
  questionnaire_empty: {
    status: 422,
    fr: 'Le questionnaire de l’agence est vide : décrivez au moins votre offre, votre ton et votre objectif pour que l’IA puisse écrire.',
    en: 'The agency questionnaire is empty: describe at least your offer, tone and objective so the AI can write.',
  },
  template_channel_mismatch: {
    status: 422,
    fr: 'Ce modèle est prévu pour un autre canal.',
    en: 'This template is meant for another channel.',
  },
} as const satisfies Record<string, { status: number; fr: string; en: string }>

export type AiErrorCode = keyof typeof AI_ERRORS

export class AiError extends Error {
  readonly status: number
  constructor(readonly code: AiErrorCode, readonly details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(AI_ERRORS[code].en, options)
    this.name = 'AiError'
    this.status = AI_ERRORS[code].status
  }
  get messages(): { fr: string; en: string } {
    return { fr: AI_ERRORS[this.code].fr, en: AI_ERRORS[this.code].en }
  }
}

/** A fallback's reason as the UI shows it. */
export function fallbackNotice(code: AiErrorCode): { code: AiErrorCode; fr: string; en: string } {
  return { code, fr: AI_ERRORS[code].fr, en: AI_ERRORS[code].en }
}
