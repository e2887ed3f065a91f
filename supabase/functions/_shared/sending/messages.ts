/**
 * Text of the pages the sending functions render themselves (unsubscribe):
 * French first, English when the browser prefers it (Accept-Language).
 */
export type Lang = 'fr' | 'en'

export function pickLang(acceptLanguage: string | null): Lang {
  if (!acceptLanguage) return 'fr'
  const prefs = acceptLanguage.split(',').map((p, i) => {
    const [tag, ...params] = p.trim().toLowerCase().split(';')
    const q = Number(params.find((x) => x.trim().startsWith('q='))?.split('=')[1] ?? 1)
    return { tag, q: Number.isFinite(q) ? q : 0, i }
  }).filter((p) => p.q > 0).sort((a, b) => b.q - a.q || a.i - b.i)
  for (const p of prefs) {
    if (p.tag.startsWith('fr')) return 'fr'
    if (p.tag.startsWith('en')) return 'en'
  }
  return 'fr'
}

export const unsubscribeMessages = {
  fr: {
    title: 'Désinscription',
    confirmTitle: 'Ne plus recevoir nos messages ?',
    confirmBody: (agency: string) => `Vous ne recevrez plus aucun message (e-mail, SMS, WhatsApp) de ${agency}.`,
    confirmButton: 'Me désinscrire',
    doneTitle: 'Vous êtes désinscrit(e)',
    doneBody: (agency: string) => `C'est fait : ${agency} ne vous enverra plus de messages, sur aucun canal. Aucune autre démarche n'est nécessaire.`,
    alreadyBody: (agency: string) => `Votre désinscription de ${agency} était déjà enregistrée.`,
    invalidTitle: 'Lien invalide',
    invalidBody: 'Ce lien de désinscription est invalide ou incomplet. Répondez simplement « STOP » au message reçu.',
    agencyFallback: "l'agence",
  },
  en: {
    title: 'Unsubscribe',
    confirmTitle: 'Stop receiving our messages?',
    confirmBody: (agency: string) => `You will no longer receive any message (e-mail, SMS, WhatsApp) from ${agency}.`,
    confirmButton: 'Unsubscribe me',
    doneTitle: 'You are unsubscribed',
    doneBody: (agency: string) => `Done: ${agency} will no longer send you messages on any channel. Nothing else is needed.`,
    alreadyBody: (agency: string) => `Your unsubscription from ${agency} was already recorded.`,
    invalidTitle: 'Invalid link',
    invalidBody: 'This unsubscribe link is invalid or incomplete. Simply reply "STOP" to the message you received.',
    agencyFallback: 'the agency',
  },
} as const
