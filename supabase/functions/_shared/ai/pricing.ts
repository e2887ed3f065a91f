/**
 * Cost of a call in euros from a per-model price table.
 *
 * Prices are the provider's list prices in US dollars per million tokens
 * (input, output), converted with AI_USD_TO_EUR. A model missing from the
 * table is charged at the most expensive known rate — an unknown model must
 * never look free — and the caller logs it.
 */
export interface ModelPrice {
  /** USD per 1M prompt tokens. */
  input: number
  /** USD per 1M completion tokens. */
  output: number
}

export const MODEL_PRICES_USD: Record<string, ModelPrice> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
}

const MOST_EXPENSIVE: ModelPrice = Object.values(MODEL_PRICES_USD).reduce((a, b) => (b.input + b.output > a.input + a.output ? b : a))

/** The table entry for `model`, accepting dated snapshots (`gpt-4o-mini-2024-07-18`). */
export function priceOf(model: string, table: Record<string, ModelPrice> = MODEL_PRICES_USD): { price: ModelPrice; known: boolean } {
  if (table[model]) return { price: table[model], known: true }
  const base = Object.keys(table).sort((a, b) => b.length - a.length).find((k) => model.startsWith(`${k}-`))
  if (base) return { price: table[base], known: true }
  return { price: MOST_EXPENSIVE, known: false }
}

/** Euros for these token counts, rounded to the micro-euro (the ledger's precision). */
export function costEur(model: string, promptTokens: number, completionTokens: number, usdToEur: number, table?: Record<string, ModelPrice>): { eur: number; known: boolean } {
  const { price, known } = priceOf(model, table)
  const usd = (promptTokens * price.input + completionTokens * price.output) / 1_000_000
  return { eur: Math.round(usd * usdToEur * 1e6) / 1e6, known }
}
