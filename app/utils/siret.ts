/**
 * SIREN/SIRET check digits (Luhn), as the database's private.is_valid_siret:
 * 14 digits for a SIRET, 9 for a SIREN. La Poste's establishments (SIREN
 * 356000000) use a different rule: the digit sum is a multiple of 5.
 * Shared by the browser and the server route.
 */
export const LA_POSTE_SIREN = '356000000'

export function cleanDigits(input: string): string {
  return input.replace(/[\s.\-]/g, '')
}

export function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

export type SiretProblem = 'format' | 'checksum' | null

export function siretProblem(input: string): SiretProblem {
  const s = cleanDigits(input)
  if (!/^\d{14}$/.test(s)) return 'format'
  if (luhn(s)) return null
  if (s.startsWith(LA_POSTE_SIREN) && [...s].reduce((a, c) => a + Number(c), 0) % 5 === 0) return null
  return 'checksum'
}

export function isValidSiret(input: string): boolean {
  return siretProblem(input) === null
}

export function isValidSiren(input: string): boolean {
  const s = cleanDigits(input)
  return /^\d{9}$/.test(s) && luhn(s)
}

/** "73282932000074" → "732 829 320 00074" */
export function formatSiret(input: string): string {
  const s = cleanDigits(input)
  return s.length === 14 ? `${s.slice(0, 3)} ${s.slice(3, 6)} ${s.slice(6, 9)} ${s.slice(9)}` : input
}
