/**
 * SMS length accounting (3GPP TS 23.038 / 23.040).
 *
 * A text made only of GSM 03.38 characters is sent in the 7-bit alphabet:
 * 160 septets in one message, 153 per part when concatenated (the UDH takes
 * 7). Characters of the extension table (€ [ ] { } ^ ~ \ | and form feed) are
 * an escape plus a character: 2 septets, and a part never ends between the two.
 * Any other character switches the whole message to UCS-2: 70 UTF-16 code
 * units in one message, 67 per part, and a surrogate pair is never split.
 *
 * French matters here: é è ù à É Ç are in the basic table, but ç (lower case),
 * â ê î ô û ë ï œ and the typographic apostrophe ’ are not — one of them turns
 * a 160-character SMS into three UCS-2 parts. `nonGsm` lists them so the UI
 * can suggest replacements.
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const EXTENSION = '\f^{}\\[~]|€'

const basicSet = new Set(Array.from(BASIC))
const extensionSet = new Set(Array.from(EXTENSION))

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export interface SmsCount {
  encoding: SmsEncoding
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number
  /** Characters as the user sees them (code points). */
  characters: number
  segments: number
  /** Capacity of one part in this encoding (160/153 or 70/67). */
  perSegment: number
  /** Units left in the last part before one more part is needed. */
  remaining: number
  /** Distinct characters that forced UCS-2 (empty for GSM-7). */
  nonGsm: string[]
}

export function isGsm7Char(ch: string): boolean {
  return basicSet.has(ch) || extensionSet.has(ch)
}

/** Septets one character takes in GSM-7 (2 for the extension table), or null when not encodable. */
export function gsm7Septets(ch: string): 1 | 2 | null {
  if (basicSet.has(ch)) return 1
  if (extensionSet.has(ch)) return 2
  return null
}

/** Greedy split into parts of at most `cap` units, never splitting an indivisible unit. */
function countParts(sizes: number[], single: number, cap: number): { segments: number; lastFill: number; total: number } {
  const total = sizes.reduce((a, b) => a + b, 0)
  if (total === 0) return { segments: 0, lastFill: 0, total }
  if (total <= single) return { segments: 1, lastFill: total, total }
  let segments = 1
  let fill = 0
  for (const s of sizes) {
    if (fill + s > cap) {
      segments++
      fill = 0
    }
    fill += s
  }
  return { segments, lastFill: fill, total }
}

/** Encoding, units and number of SMS parts for `text`. */
export function countSms(text: string): SmsCount {
  const chars = Array.from(text)
  const nonGsm = [...new Set(chars.filter((c) => !isGsm7Char(c)))]
  if (nonGsm.length === 0) {
    const { segments, lastFill, total } = countParts(chars.map((c) => gsm7Septets(c) as number), 160, 153)
    const perSegment = segments > 1 ? 153 : 160
    return { encoding: 'GSM-7', units: total, characters: chars.length, segments, perSegment, remaining: segments ? perSegment - lastFill : 160, nonGsm }
  }
  // UCS-2 (UTF-16 on the wire): astral characters take two code units, kept together.
  const { segments, lastFill, total } = countParts(chars.map((c) => c.length), 70, 67)
  const perSegment = segments > 1 ? 67 : 70
  return { encoding: 'UCS-2', units: total, characters: chars.length, segments, perSegment, remaining: perSegment - lastFill, nonGsm }
}

const GSM_REPLACEMENTS: Record<string, string> = {
  '’': "'", '‘': "'", '‚': "'", '“': '"', '”': '"', '„': '"', '«': '"', '»': '"', '–': '-', '—': '-', '…': '...',
  'œ': 'oe', 'Œ': 'OE', 'ç': 'Ç', '\u00a0': ' ', '\u202f': ' ',
}

/**
 * The closest GSM-7 text: typographic punctuation made plain, ç → Ç (the
 * standard's own mapping), other accented letters without their accent when
 * that makes them encodable. Characters with no equivalent are kept (the
 * count then says UCS-2).
 */
export function toGsm7(text: string): string {
  return Array.from(text).map((ch) => {
    if (isGsm7Char(ch)) return ch
    if (GSM_REPLACEMENTS[ch]) return GSM_REPLACEMENTS[ch]
    const bare = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    return bare && Array.from(bare).every(isGsm7Char) ? bare : ch
  }).join('')
}
