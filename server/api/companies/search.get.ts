import { z } from 'zod'
import { cleanDigits, isValidSiren, siretProblem } from '~~/app/utils/siret'

const Query = z.object({ q: z.string().trim().min(2).max(120) })
const limiter = createRateLimiter(30, 60_000)

/**
 * Company lookup for onboarding: a SIRET (check digits validated here too), a
 * SIREN or a name, through the recherche-entreprises API (the provider
 * sandbox locally). Signed-in users only, rate-limited per IP.
 */
export default defineEventHandler(async (event) => {
  enforceRateLimit(event, limiter)
  const parsed = Query.safeParse(getQuery(event))
  if (!parsed.success) throw createError({ statusCode: 400, data: { code: 'query_too_short', field: 'q' } })
  if (!(await serverUser(event))) throw createError({ statusCode: 401, data: { code: 'not_authenticated' } })

  const digits = cleanDigits(parsed.data.q)
  let siret: string | undefined
  if (/^\d+$/.test(digits) && digits.length >= 9) {
    if (digits.length === 14) {
      const problem = siretProblem(digits)
      if (problem) throw createError({ statusCode: 422, data: { code: 'invalid_siret', field: 'siret', reason: problem } })
      siret = digits
    } else if (digits.length !== 9 || !isValidSiren(digits)) {
      throw createError({ statusCode: 422, data: { code: 'invalid_siret', field: 'siret', reason: digits.length === 9 ? 'checksum' : 'format' } })
    }
  }
  const base = serverConfig(event).companiesApiUrl
  if (!base) throw createError({ statusCode: 503, data: { code: 'companies_unavailable' } })
  const url = new URL(`${base.replace(/\/$/, '')}/search`)
  url.searchParams.set('q', siret ?? (digits.length === 9 && /^\d+$/.test(digits) ? digits : parsed.data.q))
  url.searchParams.set('per_page', '5')
  let body: unknown
  try {
    body = await $fetch(url.toString(), { timeout: 5000, retry: 1 })
  } catch {
    throw createError({ statusCode: 503, data: { code: 'companies_unavailable' } })
  }
  try {
    return { results: toHits(body, siret) }
  } catch {
    throw createError({ statusCode: 502, data: { code: 'companies_bad_response' } })
  }
})
