/** Branding colour → CSS variables (RGB triplets) with an AA-safe foreground. */
export function hexToRgb(hex: string): [number, number, number] | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim())
  if (!m) return null
  const n = parseInt(m[1]!, 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

function channel(c: number) {
  const s = c / 255
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
}
export function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}
export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (l1 + 0.05) / (l2 + 0.05)
}
function mix(a: [number, number, number], b: [number, number, number], t: number): [number, number, number] {
  return [0, 1, 2].map((i) => Math.round(a[i]! * (1 - t) + b[i]! * t)) as [number, number, number]
}

const WHITE: [number, number, number] = [255, 255, 255]
const INK: [number, number, number] = [15, 23, 42]

/**
 * Variables for a brand colour. A colour too light to carry white text is
 * darkened until it does (buttons, links and focus rings must stay AA), so
 * any colour an agency picks keeps the app accessible.
 */
export function brandVariables(hex: string | null | undefined): Record<string, string> | null {
  let rgb = hex ? hexToRgb(hex) : null
  if (!rgb) return null
  for (let i = 0; i < 12 && contrast(rgb, WHITE) < 4.5; i++) rgb = mix(rgb, INK, 0.12)
  const t = (c: [number, number, number]) => c.join(' ')
  return {
    '--brand': t(rgb),
    '--brand-strong': t(mix(rgb, INK, 0.25)),
    '--brand-soft': t(mix(rgb, WHITE, 0.9)),
    '--brand-ink': t(mix(rgb, INK, 0.35)),
    '--brand-fg': t(WHITE),
  }
}
