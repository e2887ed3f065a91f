import { z } from 'zod'

const Query = z.object({ q: z.string().trim().min(2).max(80) })
const limiter = createRateLimiter(120, 60_000)

/** Autocomplete of French communes and arrondissements for the market step. */
export default defineEventHandler((event) => {
  enforceRateLimit(event, limiter)
  const parsed = Query.safeParse(getQuery(event))
  if (!parsed.success) throw createError({ statusCode: 400, data: { code: 'query_too_short', field: 'q' } })
  return { results: searchCommunes(parsed.data.q) }
})
