/**
 * Opt-out keywords in inbound SMS / WhatsApp / e-mail replies (pure parser).
 *
 * A message is an opt-out when, once accents, case and punctuation are
 * removed, it IS a keyword (STOP, ARRET, STOP SMS, UNSUBSCRIBE, DESINSCRIRE, …)
 * or starts with one followed by little else ("Stop merci", "ARRÊT svp"), or
 * states it in free text ("merci de me désinscrire", "je ne veux plus recevoir
 * vos messages"). A reply that merely contains the word inside a sentence about
 * something else ("la visite ne peut pas s'arrêter là") is a reply, not an opt-out.
 */
const KEYWORDS = ['stop', 'stop sms', 'arret', 'arreter', 'arret sms', 'stopper', 'desinscrire', 'desinscription', 'desabonner',
  'desabonnement', 'unsubscribe', 'unsub', 'cancel', 'end', 'quit', 'stopall', 'optout', 'opt out']

const FREE_TEXT = [
  /\b(me|nous)\s+(desinscrire|desabonner|retirer\s+de\s+(votre|vos)\s+(liste|fichier)s?)\b/,
  /\bne\s+(plus|jamais)\s+(me\s+)?(contacter|recevoir|envoyer|ecrire|appeler)\b/,
  /\bje\s+ne\s+veux\s+plus\b/,
  /\b(please\s+)?(unsubscribe|remove)\s+me\b/,
  /\bstop\s+(les|vos|ces)\s+(sms|messages|mails|e-?mails|envois)\b/,
]

export function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

export function isOptOut(text: string | null | undefined): boolean {
  if (!text) return false
  const n = normalise(text)
  if (!n) return false
  if (KEYWORDS.includes(n)) return true
  const words = n.split(' ')
  // "STOP merci", "Arrêt svp": a keyword first, at most two words after it.
  for (const k of KEYWORDS) {
    const kw = k.split(' ')
    if (words.length <= kw.length + 2 && kw.every((w, i) => words[i] === w)) return true
  }
  return FREE_TEXT.some((re) => re.test(n))
}
